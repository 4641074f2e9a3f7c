import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { compressedCopies, COMPRESSED_EXTENSIONS, MIN_BYTES } from './precompress';

describe('compressedCopies', () => {
  it('writes brotli and gzip copies that decompress to the original and are smaller', () => {
    const source = Buffer.from('export const value = "configurator";\n'.repeat(200));
    const copies = compressedCopies(source);
    expect([...copies.keys()].sort()).toEqual(['.br', '.gz']);
    expect(brotliDecompressSync(copies.get('.br')!).equals(source)).toBe(true);
    expect(gunzipSync(copies.get('.gz')!).equals(source)).toBe(true);
    expect(copies.get('.br')!.length).toBeLessThan(source.length / 10);
  });

  it('keeps no copy of a file under a kilobyte or one that would not shrink', () => {
    expect(compressedCopies(Buffer.alloc(MIN_BYTES - 1, 'a')).size).toBe(0);
    const noise = Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 2654435761) >>> 24));
    const random = Buffer.from(noise.map((b, i) => b ^ ((i * 7919) & 0xff)));
    for (const copy of compressedCopies(random).values()) expect(copy.length).toBeLessThan(random.length);
  });

  it('compresses text assets, not images', () => {
    expect(COMPRESSED_EXTENSIONS.test('assets/index-abc.js')).toBe(true);
    expect(COMPRESSED_EXTENSIONS.test('assets/index-abc.css')).toBe(true);
    expect(COMPRESSED_EXTENSIONS.test('favicon.webp')).toBe(false);
  });
});
