import { createHash } from 'node:crypto';

/**
 * RFC 4122 name-based UUIDs, version 5 (SHA-1 from node:crypto): conversion derives one id per
 * document, so the namespace bytes are parsed once by the caller and the digest is formatted
 * directly. Byte for byte what the `uuid` package's `v5` returns (the tests compare the two);
 * names with a lone surrogate (no UTF-8 form) are left to the caller.
 *
 * @example
 * uuidV5(namespaceBytes, 'oid:65c0...'); // '5f0c...-...'
 */
export function uuidV5(namespace: Uint8Array, name: string): string {
  const digest = createHash('sha1').update(namespace).update(name, 'utf8').digest();
  // Byte 6 carries the version (5), byte 8 the variant (10xx).
  digest[6] = (digest[6]! & 0x0f) | 0x50;
  digest[8] = (digest[8]! & 0x3f) | 0x80;
  const hex = digest.toString('hex', 0, 16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}
