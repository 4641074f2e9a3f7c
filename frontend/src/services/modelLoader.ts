/** Fetching and parsing result GLBs. A model is placed on the floor (y = 0) and centred
 * over the origin, so a wider cabinet grows both ways and the camera never needs to move.
 * three.js is imported on first use: pages without a model never download it. */
import type { Group, Material, Mesh, Object3D } from 'three';
import type { GLTFLoader } from 'three/examples/jsm/loaders/GLTFLoader.js';
import { ApiError, fetchOrFail, resolveApiUrl } from './api';
import { glbJson, sceneSize, writeGlb } from './gltfBounds';

export interface LoadedModel {
  /** The URL the API gave (as given: relative or absolute). */
  url: string;
  /** The model wrapped in a group that sits it on the floor, centred; null for a model only
   * measured (`loadModel`'s `measureOnly`: a browser that cannot draw). */
  object: Group | null;
  /** Bounding box size [x, y, z] = [width, height, depth] in metres (glTF is Y-up). */
  size: [number, number, number];
  /** The GLB as downloaded, for "Download GLB". */
  bytes: ArrayBuffer;
  /** The glTF's root `extras` (a morph GLB's ranges: ./morphing). */
  extras?: Record<string, unknown>;
}

let toolkit: Promise<{ three: typeof import('three'); loader: GLTFLoader }> | null = null;

/** three.js and the glTF loader, fetched once; call early to overlap the download with other work. */
export function loadToolkit() {
  toolkit ??= Promise.all([import('three'), import('three/examples/jsm/loaders/GLTFLoader.js')])
    .then(([three, gltf]) => ({ three, loader: new gltf.GLTFLoader() }));
  return toolkit;
}

/** GLBs asked for before anyone draws them (`preloadModel`), by blob path: a signed URL's query
 * changes with its expiry, the bytes at a path never do. */
const early = new Map<string, Promise<ArrayBuffer>>();
const blobPath = (url: string) => url.split('?')[0];

/** Start downloading a model the page will draw (the product's default GLB, as the configurator
 * opens): its bytes then arrive while three.js loads and the first job is answered. */
export function preloadModel(url: string): void {
  const key = blobPath(url);
  if (early.has(key)) return;
  const bytes = fetchBytes(url);
  bytes.catch(() => early.delete(key));
  early.set(key, bytes);
}

export async function fetchGlb(url: string, signal?: AbortSignal): Promise<ArrayBuffer> {
  const preloaded = early.get(blobPath(url));
  if (preloaded) {
    early.delete(blobPath(url)); // once: the caller keeps the model
    try {
      return await preloaded;
    } catch {
      // the early download failed: try again, as if there had been none
    }
  }
  return fetchBytes(url, signal);
}

async function fetchBytes(url: string, signal?: AbortSignal): Promise<ArrayBuffer> {
  const response = await fetchOrFail(resolveApiUrl(url), { signal },
    'The 3D model could not be downloaded. Check your connection and try again.');
  if (!response.ok) throw new ApiError(response.status, null, `The 3D model could not be downloaded (${response.status}).`);
  return response.arrayBuffer();
}

/** Wrap `scene` so its bounding box stands on y = 0 centred on x = z = 0; returns the box size. */
export function placeOnFloor(three: typeof import('three'), scene: Object3D): { object: Group; size: [number, number, number] } {
  scene.updateMatrixWorld(true);
  const box = new three.Box3().setFromObject(scene);
  const size = box.getSize(new three.Vector3());
  const center = box.getCenter(new three.Vector3());
  scene.position.sub(new three.Vector3(center.x, box.min.y, center.z));
  const object = new three.Group();
  object.add(scene);
  return { object, size: [size.x, size.y, size.z] };
}

/** The model at `url`, parsed to draw; with `measureOnly` (where nothing can be drawn) only its
 * size and extras are read from its JSON: no three.js, no textures. */
export async function loadModel(url: string, signal?: AbortSignal, measureOnly = false): Promise<LoadedModel> {
  if (measureOnly) {
    const bytes = await fetchGlb(url, signal);
    const json = glbJson(bytes);
    return { url, bytes, extras: json.extras, object: null, size: sceneSize(json) ?? [0, 0, 0] };
  }
  const [bytes, { three, loader }] = await Promise.all([fetchGlb(url, signal), loadToolkit()]);
  const gltf = await loader.parseAsync(bytes, resourcePath(url));
  return { url, bytes, extras: gltf.userData, ...placeOnFloor(three, gltf.scene) };
}

/** Where the model's textures are resolved from: the GLB's own URL without its query. A GLB
 * names its textures by relative URI (`../textures/<sha256>.webp?signature=…`), each an
 * immutable blob shared by every configuration of that finish, so the next configuration's
 * textures come from the HTTP cache and only its geometry is downloaded. */
export function resourcePath(url: string): string {
  const resolved = resolveApiUrl(url).split('?')[0];
  return resolved.slice(0, resolved.lastIndexOf('/') + 1);
}

/** The self-contained GLB of a model (textures embedded), for "Download GLB": the bytes on
 * screen with each texture they name embedded, read from the HTTP cache that drew them (the
 * API's `?embedded=1` gives the same file to other tools). */
export function fetchEmbeddedGlb(model: LoadedModel): Promise<ArrayBuffer> {
  return embedImages(model.bytes, resolveApiUrl(model.url));
}

interface GlbImage { uri?: string; bufferView?: number; mimeType?: string }
interface GlbJson { images?: GlbImage[]; bufferViews?: object[]; buffers?: { byteLength: number }[] }

/** `glb` with every image that is named by URI embedded: fetched relative to `url`, appended
 * to the binary chunk (4-byte aligned) as a buffer view of its own. */
export async function embedImages(glb: ArrayBuffer, url: string): Promise<ArrayBuffer> {
  const view = new DataView(glb);
  const jsonLength = view.getUint32(12, true);
  const json = glbJson<GlbJson>(glb);
  const images = (json.images ?? []).filter((image) => image.uri !== undefined);
  if (images.length === 0) return glb;
  const binStart = 20 + jsonLength;
  const binLength = binStart + 8 <= glb.byteLength ? view.getUint32(binStart, true) : 0;
  const parts: Uint8Array[] = [new Uint8Array(glb, binStart + 8, binLength)];
  let length = binLength;
  const pad = () => {
    const zeros = new Uint8Array((4 - (length % 4)) % 4);
    parts.push(zeros);
    length += zeros.length;
  };
  const views = (json.bufferViews ??= []);
  for (const image of images) {
    const data = new Uint8Array(await fetchBytes(new URL(image.uri!, resourcePath(url)).href));
    pad();
    views.push({ buffer: 0, byteOffset: length, byteLength: data.length });
    image.bufferView = views.length - 1;
    delete image.uri;
    parts.push(data);
    length += data.length;
  }
  pad();
  (json.buffers ??= [{ byteLength: 0 }])[0].byteLength = length;
  return writeGlb(json, parts);
}

/** Free the GPU memory a model holds (call once it is no longer shown or cached). */
export function disposeModel(model: LoadedModel): void {
  model.object?.traverse((node) => {
    const mesh = node as Mesh;
    if (!mesh.isMesh) return;
    mesh.geometry.dispose();
    const materials: Material[] = Array.isArray(mesh.material) ? mesh.material : [mesh.material];
    for (const material of materials) {
      for (const value of Object.values(material)) {
        if (value && typeof value === 'object' && 'isTexture' in value) (value as { dispose(): void }).dispose();
      }
      material.dispose();
    }
  });
}
