/**
 * Strict UTF-8 decoding. `readFileSync(path, 'utf8')` replaces every invalid byte sequence with
 * U+FFFD and says nothing, so a file in Latin-1 (or a truncated one) would be read as different
 * text. Here the first invalid sequence is an error that says where it is.
 */

/** A byte sequence that is not well-formed UTF-8: where it starts (0-based byte offset, 1-based line and column). */
export class InvalidUtf8Error extends Error {
  constructor(
    readonly offset: number,
    readonly line: number,
    readonly column: number,
    /** The ill-formed bytes in hex, e.g. `ff`, or `e2 82` (a sequence cut short). */
    readonly bytes: string,
  ) {
    super(`line ${line}, column ${column} (byte ${offset}): invalid UTF-8 (bytes ${bytes}); the text must be UTF-8`);
    this.name = 'InvalidUtf8Error';
  }
}

const fatal = new TextDecoder('utf-8', { fatal: true });

/**
 * Decodes UTF-8 bytes, refusing any ill-formed sequence (overlongs, surrogates, truncations,
 * stray continuation bytes) with {@link InvalidUtf8Error}. A leading BOM is dropped.
 *
 * @example
 * decodeUtf8Strict(readFileSync(path)); // string, or throws: line 3, column 7 (byte 41): invalid UTF-8 (bytes ff)
 */
export function decodeUtf8Strict(bytes: Uint8Array): string {
  try {
    return fatal.decode(bytes);
  } catch {
    // The decoder does not say where: find the first bad sequence ourselves (error path only).
    const { offset, length } = firstInvalidSequence(bytes);
    let lineStart = 0;
    let line = 1;
    for (let i = 0; i < offset; i++) {
      if (bytes[i] === 0x0a) {
        line++;
        lineStart = i + 1;
      }
    }
    const column = [...fatal.decode(bytes.subarray(lineStart, offset))].length + 1;
    const shown = [...bytes.subarray(offset, offset + Math.max(length, 1))].map((b) => b.toString(16).padStart(2, '0')).join(' ');
    throw new InvalidUtf8Error(offset, line, column, shown);
  }
}

/**
 * The first ill-formed sequence per the Unicode well-formed UTF-8 table (Unicode 15, table 3-7):
 * its offset and its length (the lead byte and the continuation bytes that were still valid).
 */
function firstInvalidSequence(bytes: Uint8Array): { offset: number; length: number } {
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i]!;
    if (b < 0x80) {
      i++;
      continue;
    }
    // Lead byte -> sequence length and the allowed range of the second byte.
    let n: number;
    let lo = 0x80;
    let hi = 0xbf;
    if (b >= 0xc2 && b <= 0xdf) n = 2;
    else if (b >= 0xe0 && b <= 0xef) {
      n = 3;
      if (b === 0xe0) lo = 0xa0; // no overlongs
      if (b === 0xed) hi = 0x9f; // no surrogates
    } else if (b >= 0xf0 && b <= 0xf4) {
      n = 4;
      if (b === 0xf0) lo = 0x90; // no overlongs
      if (b === 0xf4) hi = 0x8f; // nothing beyond U+10FFFF
    } else return { offset: i, length: 1 };
    for (let k = 1; k < n; k++) {
      const c = bytes[i + k];
      const [min, max] = k === 1 ? [lo, hi] : [0x80, 0xbf];
      if (c === undefined || c < min || c > max) return { offset: i, length: k }; // the maximal ill-formed subpart
    }
    i += n;
  }
  return { offset: bytes.length, length: 0 };
}
