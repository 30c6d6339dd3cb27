/**
 * The shape of a UUID's text, checked char by char (cheaper than the regular expressions it stands
 * in for, which stay the reference: a value this rejects is judged by them).
 */

/** Whether position i of a 36-char UUID holds a hyphen. */
const HYPHEN = Uint8Array.from({ length: 36 }, (_, i) => (i === 8 || i === 13 || i === 18 || i === 23 ? 1 : 0));

/**
 * 1 when `s` is a lowercase UUID (`/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/`),
 * 2 when it is one with some uppercase hex digits, 0 otherwise.
 *
 * @example
 * uuidTextKind('3F1C7A52-8f0e-4a59-9d3e-0b7a1f6f2a10'); // 2
 */
export function uuidTextKind(s: string): 0 | 1 | 2 {
  if (s.length !== 36) return 0;
  let kind: 1 | 2 = 1;
  for (let i = 0; i < 36; i++) {
    const c = s.charCodeAt(i);
    if (HYPHEN[i] === 1) {
      if (c !== 45) return 0;
    } else if (!((c >= 48 && c <= 57) || (c >= 97 && c <= 102))) {
      if (c >= 65 && c <= 70) kind = 2;
      else return 0;
    }
  }
  return kind;
}
