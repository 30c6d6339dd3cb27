/**
 * Reading BSON elements without decoding them: the size of any element's value, and a document's
 * `_id` element on its own. The one-pass decoder walks documents with the first; the `memory:` store
 * keeps `{ _id }` per document and conversion falls back on the second when the rest of a legacy
 * document cannot be read (an illegal boolean byte...). MongoDB stores `_id` first.
 */

const int32At = (b: Uint8Array, i: number) => b[i]! | (b[i + 1]! << 8) | (b[i + 2]! << 16) | (b[i + 3]! << 24);

/** The end of the C string starting at `at` (its NUL's position), or -1 when it has none before `n`. */
function cStringEnd(b: Uint8Array, at: number, n: number): number {
  for (let i = at; i < n; i++) if (b[i] === 0) return i;
  return -1;
}

/**
 * Bytes taken by the value of an element of type `type` starting at `at`, within the first `n` bytes
 * of `b` (the enclosing document's), or -1: an unknown type, or a length that is malformed or runs
 * past `n`. Lengths are checked as bson checks them; the inside of an embedded document, array or
 * code-with-scope is not.
 *
 * @example
 * elementValueSize(bytes, bytes[4], 9, bytes.length); // the first element's value size, after "_id\0"
 */
export function elementValueSize(b: Uint8Array, type: number, at: number, n: number): number {
  const fits = (size: number) => (size >= 0 && at + size <= n ? size : -1);
  const lengthAt = () => (at + 4 <= n ? int32At(b, at) : -1);
  switch (type) {
    case 0x01: // double
    case 0x09: // UTC datetime
    case 0x11: // timestamp
    case 0x12: // int64
      return fits(8);
    case 0x02: // string
    case 0x0d: // JavaScript code
    case 0x0e: { // symbol
      // A positive length within the buffer, ending with its NUL.
      const len = lengthAt();
      return len > 0 && len <= n - at - 4 && b[at + 4 + len - 1] === 0 ? 4 + len : -1;
    }
    case 0x03: // embedded document
    case 0x04: { // array
      const len = lengthAt();
      return len >= 5 && fits(len) > 0 && b[at + len - 1] === 0 ? len : -1;
    }
    case 0x05: { // binary: length, subtype, bytes
      const len = lengthAt();
      return len >= 0 ? fits(5 + len) : -1;
    }
    case 0x06: // undefined
    case 0x0a: // null
    case 0x7f: // max key
    case 0xff: // min key
      return 0;
    case 0x07: // ObjectId
      return fits(12);
    case 0x08: // boolean (its byte's value is the reader's to check)
      return fits(1);
    case 0x0b: { // regex: pattern and options, two C strings
      const pattern = cStringEnd(b, at, n);
      const options = pattern < 0 ? -1 : cStringEnd(b, pattern + 1, n);
      return options < 0 ? -1 : options + 1 - at;
    }
    case 0x0c: { // DBPointer: a string, then an ObjectId
      const len = lengthAt();
      return len > 0 && len <= n - at - 16 && b[at + 4 + len - 1] === 0 ? 4 + len + 12 : -1;
    }
    case 0x0f: { // code with scope: total length, string, document
      const len = lengthAt();
      return len >= 14 ? fits(len) : -1;
    }
    case 0x10: // int32
      return fits(4);
    case 0x13: // decimal128
      return fits(16);
    default:
      return -1;
  }
}

/** Whether the document's first element is named `_id` (bytes 5..8 are `_id\0`). */
export function idIsFirst(bytes: Uint8Array): boolean {
  return bytes.length > 9 && bytes[5] === 0x5f && bytes[6] === 0x69 && bytes[7] === 0x64 && bytes[8] === 0;
}

/**
 * `{ _id }` alone as BSON (a new buffer), cut from a stored document whose first element is its
 * `_id` (as the server stores them); null when it is not first or its value is malformed, for the
 * caller to serialise or refuse.
 */
export function idDocumentBytes(bytes: Uint8Array): Uint8Array | null {
  if (!idIsFirst(bytes)) return null;
  // The document's last byte is its terminating NUL: the `_id` value ends before it.
  const len = elementValueSize(bytes, bytes[4]!, 9, bytes.length - 1);
  if (len < 0) return null;
  const size = 4 + 5 + len + 1;
  const one = Buffer.allocUnsafe(size);
  one.writeInt32LE(size, 0);
  one.set(bytes.subarray(4, 9 + len), 4);
  one[size - 1] = 0;
  return one;
}
