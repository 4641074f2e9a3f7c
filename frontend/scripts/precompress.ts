/** Build step: a brotli (`.br`) and a gzip (`.gz`) copy beside each text file of the build, so
 * the server sends compressed bytes without compressing per request (server/routes/webapp.py
 * picks the copy the browser accepts). Brotli at its best quality costs seconds once, at build;
 * files under a kilobyte, or that would not shrink, keep no copy. */
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';
import type { Plugin } from 'vite';

export const COMPRESSED_EXTENSIONS = /\.(js|mjs|css|svg|json|txt|map|wasm)$/;
export const MIN_BYTES = 1024;

/** The compressed copies of one file's bytes worth keeping: suffix → bytes. */
export function compressedCopies(data: Buffer): Map<string, Buffer> {
  const copies = new Map<string, Buffer>();
  if (data.length < MIN_BYTES) return copies;
  const brotli = brotliCompressSync(data, {
    params: {
      [constants.BROTLI_PARAM_QUALITY]: constants.BROTLI_MAX_QUALITY,
      [constants.BROTLI_PARAM_SIZE_HINT]: data.length,
    },
  });
  const gzip = gzipSync(data, { level: 9 });
  if (brotli.length < data.length) copies.set('.br', brotli);
  if (gzip.length < data.length) copies.set('.gz', gzip);
  return copies;
}

function filesUnder(folder: string): string[] {
  return readdirSync(folder).flatMap((name) => {
    const path = join(folder, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

export function precompress(): Plugin {
  let outDir = 'dist';
  return {
    name: 'configurator-precompress',
    apply: 'build',
    configResolved(config) {
      outDir = config.build.outDir.startsWith('/') ? config.build.outDir : join(config.root, config.build.outDir);
    },
    closeBundle() {
      for (const path of filesUnder(outDir)) {
        if (!COMPRESSED_EXTENSIONS.test(path)) continue;
        for (const [suffix, bytes] of compressedCopies(readFileSync(path))) writeFileSync(path + suffix, bytes);
      }
    },
  };
}
