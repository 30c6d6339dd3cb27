/**
 * RFC 4122 name-based UUIDs, version 5 (SHA-1), computed in JavaScript: conversion derives one id
 * per document, and for names this short a native hash call costs more than the hash itself.
 * Byte for byte what the `uuid` package's `v5` returns (the tests compare the two); names with a
 * lone surrogate (no UTF-8 form) are left to the caller.
 *
 * @example
 * uuidV5Bytes(namespaceBytes, 'oid:65c0...'); // '5f0c...-...'
 */

/** Char codes of each byte's two lowercase hex digits. */
const HI = Array.from({ length: 256 }, (_, i) => '0123456789abcdef'.charCodeAt(i >> 4));
const LO = Array.from({ length: 256 }, (_, i) => '0123456789abcdef'.charCodeAt(i & 15));
const DASH = 45;

/** Message schedule, reused by every call (single-threaded, never re-entered). */
const W = new Int32Array(80);
let message = Buffer.alloc(256);

function rotl(x: number, n: number): number {
  return (x << n) | (x >>> (32 - n));
}

/** SHA-1 of `message[0, length)`; `message` must have room for the padding. Returns h0..h4. */
function sha1(length: number): [number, number, number, number, number] {
  const padded = (((length + 8) >> 6) + 1) << 6;
  message.fill(0, length, padded);
  message[length] = 0x80;
  const bits = length * 8;
  message.writeUInt32BE(Math.floor(bits / 0x1_0000_0000), padded - 8);
  message.writeUInt32BE(bits >>> 0, padded - 4);
  let h0 = 0x67452301;
  let h1 = 0xefcdab89 | 0;
  let h2 = 0x98badcfe | 0;
  let h3 = 0x10325476;
  let h4 = 0xc3d2e1f0 | 0;
  for (let block = 0; block < padded; block += 64) {
    for (let i = 0; i < 16; i++) {
      const o = block + i * 4;
      W[i] = (message[o]! << 24) | (message[o + 1]! << 16) | (message[o + 2]! << 8) | message[o + 3]!;
    }
    for (let i = 16; i < 80; i++) W[i] = rotl(W[i - 3]! ^ W[i - 8]! ^ W[i - 14]! ^ W[i - 16]!, 1);
    let a = h0;
    let b = h1;
    let c = h2;
    let d = h3;
    let e = h4;
    for (let i = 0; i < 80; i++) {
      let f: number;
      let k: number;
      if (i < 20) {
        f = (b & c) | (~b & d);
        k = 0x5a827999;
      } else if (i < 40) {
        f = b ^ c ^ d;
        k = 0x6ed9eba1;
      } else if (i < 60) {
        f = (b & c) | (b & d) | (c & d);
        k = 0x8f1bbcdc | 0;
      } else {
        f = b ^ c ^ d;
        k = 0xca62c1d6 | 0;
      }
      const t = (rotl(a, 5) + f + e + k + W[i]!) | 0;
      e = d;
      d = c;
      c = rotl(b, 30);
      b = a;
      a = t;
    }
    h0 = (h0 + a) | 0;
    h1 = (h1 + b) | 0;
    h2 = (h2 + c) | 0;
    h3 = (h3 + d) | 0;
    h4 = (h4 + e) | 0;
  }
  return [h0, h1, h2, h3, h4];
}

/**
 * The version 5 UUID of `name` (UTF-8) in the namespace whose 16 bytes are given. `name` must be
 * well-formed UTF-16 (no lone surrogate).
 */
export function uuidV5(namespace: Uint8Array, name: string): string {
  const length = 16 + Buffer.byteLength(name, 'utf8');
  if (message.length < length + 72) message = Buffer.alloc(2 * (length + 72));
  message.set(namespace, 0);
  message.write(name, 16, 'utf8');
  const [h0, h1, h2, h3] = sha1(length);
  // Bytes 6 and 8 carry the version (5) and the variant (10xx).
  const b6 = (((h1 >>> 8) & 0x0f) | 0x50) & 255;
  const b8 = (((h2 >>> 24) & 0x3f) | 0x80) & 255;
  const b = [h0 >>> 24, (h0 >>> 16) & 255, (h0 >>> 8) & 255, h0 & 255, h1 >>> 24, (h1 >>> 16) & 255, b6, h1 & 255, b8, (h2 >>> 16) & 255, (h2 >>> 8) & 255, h2 & 255, h3 >>> 24, (h3 >>> 16) & 255, (h3 >>> 8) & 255, h3 & 255];
  // One string allocation for the 36 characters.
  return String.fromCharCode(
    HI[b[0]!]!, LO[b[0]!]!, HI[b[1]!]!, LO[b[1]!]!, HI[b[2]!]!, LO[b[2]!]!, HI[b[3]!]!, LO[b[3]!]!, DASH,
    HI[b[4]!]!, LO[b[4]!]!, HI[b[5]!]!, LO[b[5]!]!, DASH,
    HI[b[6]!]!, LO[b[6]!]!, HI[b[7]!]!, LO[b[7]!]!, DASH,
    HI[b[8]!]!, LO[b[8]!]!, HI[b[9]!]!, LO[b[9]!]!, DASH,
    HI[b[10]!]!, LO[b[10]!]!, HI[b[11]!]!, LO[b[11]!]!, HI[b[12]!]!, LO[b[12]!]!, HI[b[13]!]!, LO[b[13]!]!, HI[b[14]!]!, LO[b[14]!]!, HI[b[15]!]!, LO[b[15]!]!,
  );
}
