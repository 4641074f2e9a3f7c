/** Morphing in the browser: while a number control changes, the viewer draws the product's
 * morph GLB with its targets' influences set, so a slider answers in the next frame with no
 * request at all, and the exact GLB replaces the morphed one once the change is over.
 *
 * A morph GLB is made for one configuration c (job option `morph: true`). Each mesh carries
 * one morph target per number parameter (`mesh.extras.targetNames`, which three.js's loader
 * turns into `morphTargetDictionary`), whose POSITION delta is the displacement per unit of
 * that parameter; the root `extras.configurator.morph` gives, per key, c's value and the
 * range around it where the morphed positions equal the exact GLB's within 0.1 mm. So the
 * weight of target k is v_k − c_k, and a configuration can be morphed from c when every
 * number parameter lies in its range and every other parameter is c's (a door count or a
 * finish changes topology or materials, which no target carries).
 *
 * The model is re-placed on the floor for every pose, from the morphed vertices' bounding
 * box, exactly as `placeOnFloor` places an exact GLB: a cabinet that grows to the right
 * in the template still grows both ways on screen, and the exact model that replaces the
 * morphed one sits where it did (no jump). three.js is not imported here: poses are pure
 * arithmetic on the loaded buffers, so this module costs the catalogue nothing. */
import type { BufferAttribute, InterleavedBufferAttribute, Mesh, Object3D } from 'three';
import type { ConfigData } from '../types/configSchema';
import type { LoadedModel } from './modelLoader';
import { sameValue } from '../lib/values';

/** c_k and the range [min, max] around it where morphing is exact (min = max: no morph). */
export interface MorphRange {
  value: number;
  min: number;
  max: number;
}

export type MorphRanges = Record<string, MorphRange>;

/** Values within this of a range's end count as inside it: the range's ends come from the
 * server as rounded JSON numbers and the slider's from display units (cm → m). */
const RANGE_SLACK = 1e-9;

/** The ranges of a morph GLB's root extras (`gltf.userData`), or null when it has none. */
export function readMorphRanges(extras: unknown): MorphRanges | null {
  const morph = (extras as { configurator?: { morph?: unknown } } | null | undefined)?.configurator?.morph;
  if (!morph || typeof morph !== 'object') return null;
  const ranges: MorphRanges = {};
  for (const [key, entry] of Object.entries(morph as Record<string, unknown>)) {
    const { value, min, max } = (entry ?? {}) as Record<string, unknown>;
    if (![value, min, max].every((n) => typeof n === 'number' && Number.isFinite(n))) return null;
    if ((min as number) > (value as number) || (value as number) > (max as number)) return null;
    ranges[key] = { value: value as number, min: min as number, max: max as number };
  }
  return ranges;
}

/** Weight per parameter key (v_k − c_k) to show `values` from a morph GLB made for `base`
 * with `ranges`, or null when `values` cannot be morphed from it: a number out of its range,
 * or any other parameter different from base's. Both are complete configurations. */
export function morphWeights(base: ConfigData, ranges: MorphRanges, values: ConfigData): Record<string, number> | null {
  const weights: Record<string, number> = {};
  for (const key of new Set([...Object.keys(base), ...Object.keys(values)])) {
    const range = ranges[key];
    const value = values[key];
    if (range) {
      if (typeof value !== 'number' || value < range.min - RANGE_SLACK || value > range.max + RANGE_SLACK) return null;
      weights[key] = value - range.value;
    } else if (!sameValue(value, base[key])) {
      return null;
    }
  }
  return weights;
}

/** Listeners told when a model was given a new pose (the viewer draws it in the next frame). */
const poseListeners = new Set<(model: LoadedModel) => void>();

/** Call `listener` with the model whenever a morph model takes a new pose; returns the unsubscriber. */
export function onPose(listener: (model: LoadedModel) => void): () => void {
  poseListeners.add(listener);
  return () => { poseListeners.delete(listener); };
}

type Box = { min: [number, number, number]; max: [number, number, number] };

/** A loaded morph GLB for the complete configuration `base`, posed for nearby values. */
export class MorphModel {
  private readonly meshes: Mesh[] = [];
  /** The glTF scene inside the model's group: the node `placeOnFloor` moved. */
  private readonly scene: Object3D;

  constructor(
    readonly model: LoadedModel,
    readonly base: ConfigData,
    readonly ranges: MorphRanges,
  ) {
    if (!model.object) throw new Error('a morph GLB is loaded to be drawn, not only measured');
    this.scene = model.object.children[0] ?? model.object;
    this.scene.traverse((node) => {
      const mesh = node as Mesh;
      if (mesh.isMesh) this.meshes.push(mesh);
    });
  }

  /** Whether `values` (complete) can be shown from this model. */
  covers(values: ConfigData): boolean {
    return morphWeights(this.base, this.ranges, values) !== null;
  }

  /** Set every mesh's influences for `values`, place the result on the floor, centred,
   * and tell the viewer; returns the morphed size [width, height, depth] in metres, or null
   * (nothing changed) when `values` cannot be morphed from this model. */
  pose(values: ConfigData): [number, number, number] | null {
    const weights = morphWeights(this.base, this.ranges, values);
    if (!weights) return null;
    for (const mesh of this.meshes) {
      const influences = mesh.morphTargetInfluences;
      const dictionary = mesh.morphTargetDictionary;
      if (!influences || !dictionary) continue;
      for (const [key, index] of Object.entries(dictionary)) influences[index] = weights[key] ?? 0;
    }
    const box = this.morphedBox();
    const size: [number, number, number] = [box.max[0] - box.min[0], box.max[1] - box.min[1], box.max[2] - box.min[2]];
    this.scene.position.set(-(box.min[0] + box.max[0]) / 2, -box.min[1], -(box.min[2] + box.max[2]) / 2);
    this.scene.updateMatrixWorld(true);
    for (const listener of [...poseListeners]) listener(this.model);
    return size;
  }

  /** Bounding box of the morphed vertices in the scene's parent space, with the scene at
   * the origin: base + Σ influence·delta per vertex (three.js's relative morph targets, as
   * glTF's are), through each mesh's transform relative to the scene. */
  private morphedBox(): Box {
    const box: Box = { min: [Infinity, Infinity, Infinity], max: [-Infinity, -Infinity, -Infinity] };
    this.scene.position.set(0, 0, 0);
    this.scene.updateMatrixWorld(true);
    const sceneInverse = this.scene.matrixWorld.clone().invert();
    for (const mesh of this.meshes) {
      const m = sceneInverse.clone().multiply(mesh.matrixWorld).elements;
      const geometry = mesh.geometry;
      const position = geometry.attributes.position as BufferAttribute | InterleavedBufferAttribute | undefined;
      if (!position) continue;
      const targets = (geometry.morphAttributes.position ?? []) as (BufferAttribute | InterleavedBufferAttribute)[];
      const influences = mesh.morphTargetInfluences ?? [];
      const relative = geometry.morphTargetsRelative;
      const active = targets.map((target, index) => [target, influences[index] ?? 0] as const).filter(([, w]) => w !== 0);
      for (let i = 0; i < position.count; i++) {
        const bx = position.getX(i);
        const by = position.getY(i);
        const bz = position.getZ(i);
        let x = bx;
        let y = by;
        let z = bz;
        for (const [target, w] of active) {
          x += w * (relative ? target.getX(i) : target.getX(i) - bx);
          y += w * (relative ? target.getY(i) : target.getY(i) - by);
          z += w * (relative ? target.getZ(i) : target.getZ(i) - bz);
        }
        const wx = m[0] * x + m[4] * y + m[8] * z + m[12];
        const wy = m[1] * x + m[5] * y + m[9] * z + m[13];
        const wz = m[2] * x + m[6] * y + m[10] * z + m[14];
        if (wx < box.min[0]) box.min[0] = wx;
        if (wy < box.min[1]) box.min[1] = wy;
        if (wz < box.min[2]) box.min[2] = wz;
        if (wx > box.max[0]) box.max[0] = wx;
        if (wy > box.max[1]) box.max[1] = wy;
        if (wz > box.max[2]) box.max[2] = wz;
      }
    }
    return box;
  }
}
