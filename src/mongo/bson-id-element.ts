/**
 * The `_id` element of a document's BSON on its own, for reading a document's `_id` without the rest
 * of it: what the `memory:` store keeps per document, and what conversion falls back on when the rest
 * of a legacy document cannot be read (an illegal boolean byte...). MongoDB stores `_id` first.
 */

/** Bytes of the value of a BSON element of type `type` starting at `at`; -1 when unknown. */
function valueLength(bytes: Uint8Array, type: number, at: number): number {
  const int32 = () => (bytes[at]! | (bytes[at + 1]! << 8) | (bytes[at + 2]! << 16) | (bytes[at + 3]! << 24));
  switch (type) {
    case 0x01: case 0x09: case 0x11: case 0x12: return 8;
    case 0x02: case 0x0d: case 0x0e: return 4 + int32();
    case 0x03: case 0x04: case 0x0f: return int32();
    case 0x05: return 5 + int32();
    case 0x06: case 0x0a: case 0xff: case 0x7f: return 0;
    case 0x07: return 12;
    case 0x08: return 1;
    case 0x0c: return 4 + int32() + 12;
    case 0x10: return 4;
    case 0x13: return 16;
    default: return -1;
  }
}

/**
 * `{ _id }` alone as BSON (a new buffer), cut from a stored document whose first element is its
 * `_id` (as the server stores them); null when it is not first, for the caller to serialise.
 */
export function idDocumentBytes(bytes: Uint8Array): Uint8Array | null {
  // Element: type byte, name "_id\0", value.
  if (!(bytes.length > 9 && bytes[5] === 0x5f && bytes[6] === 0x69 && bytes[7] === 0x64 && bytes[8] === 0)) return null;
  const type = bytes[4]!;
  let len = valueLength(bytes, type, 9);
  if (type === 0x0b) {
    // A regex: two C strings.
    let at = 9;
    while (at < bytes.length && bytes[at] !== 0) at++;
    at++;
    while (at < bytes.length && bytes[at] !== 0) at++;
    len = at + 1 - 9;
  }
  if (len < 0 || 9 + len >= bytes.length) return null;
  const size = 4 + 5 + len + 1;
  const one = Buffer.allocUnsafe(size);
  one.writeInt32LE(size, 0);
  one.set(bytes.subarray(4, 9 + len), 4);
  one[size - 1] = 0;
  return one;
}
