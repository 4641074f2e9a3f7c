/** Binary glTF read and written (its JSON chunk), and the size of a scene read from the JSON
 * alone: each mesh primitive's
 * POSITION bounds (glTF requires an accessor's min and max for positions), their eight corners
 * through the node's world matrix. That is the box three.js gives a loaded scene
 * (`Box3.setFromObject`, which transforms each geometry's bounding box the same way), so a
 * browser that cannot draw measures a model without downloading three.js or decoding any
 * texture. */

/** The parts of glTF's JSON read here. */
export interface GltfJson {
  scene?: number;
  scenes?: { nodes?: number[] }[];
  nodes?: GltfNode[];
  meshes?: { primitives: { attributes: Record<string, number> }[] }[];
  accessors?: { min?: number[]; max?: number[] }[];
  extras?: Record<string, unknown>;
}

interface GltfNode {
  children?: number[];
  mesh?: number;
  matrix?: number[];
  translation?: number[];
  rotation?: number[];
  scale?: number[];
}

/** Column-major 4 × 4, as glTF writes `matrix`. */
type Matrix = number[];

const IDENTITY: Matrix = [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1];

/** The JSON chunk of a binary glTF. */
export function glbJson<T = GltfJson>(glb: ArrayBuffer): T {
  const view = new DataView(glb);
  if (glb.byteLength < 20 || view.getUint32(0, true) !== 0x46546c67) throw new Error('not a GLB');
  const length = view.getUint32(12, true);
  return JSON.parse(new TextDecoder().decode(new Uint8Array(glb, 20, length))) as T;
}

/** A binary glTF of `json` and a binary chunk of `parts` (laid end to end; the caller aligns
 * them, and the total must be a multiple of 4): the JSON padded with spaces as glTF asks. */
export function writeGlb(json: object, parts: Uint8Array[]): ArrayBuffer {
  let text = new TextEncoder().encode(JSON.stringify(json));
  text = Uint8Array.from([...text, ...new Uint8Array((4 - (text.length % 4)) % 4).fill(0x20)]);
  const length = parts.reduce((sum, part) => sum + part.length, 0);
  const out = new Uint8Array(28 + text.length + length);
  const header = new DataView(out.buffer);
  header.setUint32(0, 0x46546c67, true);
  header.setUint32(4, 2, true);
  header.setUint32(8, out.length, true);
  header.setUint32(12, text.length, true);
  header.setUint32(16, 0x4e4f534a, true);
  out.set(text, 20);
  header.setUint32(20 + text.length, length, true);
  header.setUint32(24 + text.length, 0x004e4942, true);
  let offset = 28 + text.length;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out.buffer;
}

/** [width, height, depth] of the default scene's meshes, or null if it has none. */
export function sceneSize(json: GltfJson): [number, number, number] | null {
  const min = [Infinity, Infinity, Infinity];
  const max = [-Infinity, -Infinity, -Infinity];
  const visit = (index: number, parent: Matrix) => {
    const node = json.nodes?.[index];
    if (!node) return;
    const world = multiply(parent, localMatrix(node));
    for (const primitive of node.mesh !== undefined ? json.meshes?.[node.mesh]?.primitives ?? [] : []) {
      const accessor = json.accessors?.[primitive.attributes.POSITION];
      if (!accessor?.min || !accessor.max) continue;
      for (let corner = 0; corner < 8; corner++) {
        const p = [0, 1, 2].map((k) => ((corner >> k) & 1 ? accessor.max! : accessor.min!)[k]);
        for (let k = 0; k < 3; k++) {
          const value = world[k] * p[0] + world[4 + k] * p[1] + world[8 + k] * p[2] + world[12 + k];
          min[k] = Math.min(min[k], value);
          max[k] = Math.max(max[k], value);
        }
      }
    }
    for (const child of node.children ?? []) visit(child, world);
  };
  for (const root of json.scenes?.[json.scene ?? 0]?.nodes ?? []) visit(root, IDENTITY);
  return min[0] <= max[0] ? [max[0] - min[0], max[1] - min[1], max[2] - min[2]] : null;
}

function localMatrix(node: GltfNode): Matrix {
  if (node.matrix) return node.matrix;
  const [x, y, z, w] = node.rotation ?? [0, 0, 0, 1];
  const [sx, sy, sz] = node.scale ?? [1, 1, 1];
  const [tx, ty, tz] = node.translation ?? [0, 0, 0];
  return [
    (1 - 2 * (y * y + z * z)) * sx, 2 * (x * y + z * w) * sx, 2 * (x * z - y * w) * sx, 0,
    2 * (x * y - z * w) * sy, (1 - 2 * (x * x + z * z)) * sy, 2 * (y * z + x * w) * sy, 0,
    2 * (x * z + y * w) * sz, 2 * (y * z - x * w) * sz, (1 - 2 * (x * x + y * y)) * sz, 0,
    tx, ty, tz, 1,
  ];
}

function multiply(a: Matrix, b: Matrix): Matrix {
  const out = new Array<number>(16);
  for (let column = 0; column < 4; column++) {
    for (let row = 0; row < 4; row++) {
      let sum = 0;
      for (let k = 0; k < 4; k++) sum += a[k * 4 + row] * b[column * 4 + k];
      out[column * 4 + row] = sum;
    }
  }
  return out;
}
