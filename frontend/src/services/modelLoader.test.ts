import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { writeGlb } from './gltfBounds';
import { embedImages, resourcePath } from './modelLoader';

/** A GLB of `json` and a binary chunk of `bin`. */
const glb = (json: object, bin: Uint8Array) => writeGlb(json, [bin]);

function parse(bytes: ArrayBuffer) {
  const view = new DataView(bytes);
  const jsonLength = view.getUint32(12, true);
  const json = JSON.parse(new TextDecoder().decode(new Uint8Array(bytes, 20, jsonLength)));
  const binLength = view.getUint32(20 + jsonLength, true);
  return { json, bin: new Uint8Array(bytes, 28 + jsonLength, binLength), total: view.getUint32(8, true) };
}

beforeEach(() => vi.stubGlobal('window', { location: { href: 'https://shop.example/configure/p1' } }));
afterEach(() => vi.unstubAllGlobals());

describe('resourcePath', () => {
  it('is the folder of the GLB, without its query', () => {
    expect(resourcePath('https://acct.blob.example/c/demo/glb/k.glb?sv=1&sig=a%2Fb'))
      .toBe('https://acct.blob.example/c/demo/glb/');
  });
});

describe('embedImages', () => {
  const geometry = new Uint8Array([1, 2, 3, 4, 5, 6]);
  const split = glb({
    asset: { version: '2.0' },
    buffers: [{ byteLength: 8 }],
    bufferViews: [{ buffer: 0, byteOffset: 0, byteLength: 6 }],
    images: [{ uri: '../textures/abc.png?sig=x', mimeType: 'image/png' }],
  }, Uint8Array.from([...geometry, 0, 0]));
  const texture = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 9]);

  it('fetches each image beside the GLB and embeds it after the geometry', async () => {
    const fetched: string[] = [];
    vi.stubGlobal('fetch', vi.fn(async (url: string) => {
      fetched.push(String(url));
      return new Response(texture, { status: 200 });
    }));
    const embedded = parse(await embedImages(split, 'https://acct.blob.example/demo/glb/k.glb?sig=y'));
    expect(fetched).toEqual(['https://acct.blob.example/demo/textures/abc.png?sig=x']);
    expect(embedded.json.images).toEqual([{ mimeType: 'image/png', bufferView: 1 }]);
    expect(embedded.json.bufferViews[1]).toEqual({ buffer: 0, byteOffset: 8, byteLength: texture.length });
    expect(embedded.json.buffers[0].byteLength).toBe(embedded.bin.length);
    expect(embedded.bin.length % 4).toBe(0);
    expect([...embedded.bin.subarray(0, 6)]).toEqual([...geometry]);
    expect([...embedded.bin.subarray(8, 8 + texture.length)]).toEqual([...texture]);
  });

  it('leaves a GLB without image URIs as it is', async () => {
    const whole = glb({ asset: { version: '2.0' }, images: [{ bufferView: 0, mimeType: 'image/png' }] }, new Uint8Array(4));
    expect(await embedImages(whole, 'https://x.example/a.glb')).toBe(whole);
  });
});
