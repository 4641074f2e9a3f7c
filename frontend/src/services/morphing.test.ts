import * as THREE from 'three';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import type { LoadedModel } from './modelLoader';

// The preview's collaborators, replaced by controllable fakes (as in livePreview.test.ts).
const submitted: { config: Record<string, unknown>; options: unknown; resolve(job: object): void }[] = [];
const cancelled: string[] = [];

vi.mock('./api', () => ({
  ApiError: class ApiError extends Error {
    status: number;
    constructor(status: number, _problem: unknown, message: string) { super(message); this.status = status; }
    fieldErrors() { return {}; }
  },
  api: {
    submitJob: (_product: string, config: Record<string, unknown>, _signal: unknown, options: unknown) =>
      new Promise((resolve) => submitted.push({ config, options, resolve })),
    cancelJob: async (id: string) => { cancelled.push(id); return {}; },
  },
}));

vi.mock('./jobEvents', () => ({
  isTerminal: (e: { status: string }) => ['COMPLETED', 'FAILED', 'CANCELLED'].includes(e.status),
  followJob: () => ({ done: new Promise(() => undefined), stop: vi.fn() }),
}));

/** Models the fake loader hands out, by URL (a morph GLB's carry a real three.js scene). */
const glbs = new Map<string, LoadedModel>();
vi.mock('./modelLoader', () => ({
  loadToolkit: vi.fn(),
  loadModel: async (url: string) => glbs.get(url) ?? { url, object: new THREE.Group(), size: [0.6, 0.87, 0.58], bytes: new ArrayBuffer(0) },
  disposeModel: vi.fn(),
}));

const { MorphModel, morphWeights, onPose, readMorphRanges } = await import('./morphing');
const { LivePreview } = await import('./livePreview');

const settle = async () => {
  for (let i = 0; i < 6; i++) await new Promise((resolve) => setTimeout(resolve, 0));
};

const RANGES = {
  width: { value: 0.6, min: 0.324, max: 0.9 },
  depth: { value: 0.58, min: 0.5, max: 0.65 },
  handle_position: { value: 1, min: 1, max: 1 },
};
const BASE = { width: 0.6, depth: 0.58, handle_position: 1, door_count: 1, finish: 'Oak' };

/** A cabinet-like morph model as three.js's glTF loader makes one: a box from x = 0 to the
 * width (it grows to the right, as a template may), with a width target (+1 m per metre at
 * the right face) and a depth target, inside a node moved and scaled like a glTF node, under
 * a scene wrapped in a group the way `placeOnFloor` wraps it. */
function cabinetMorphModel(): LoadedModel {
  const geometry = new THREE.BoxGeometry(1, 1, 1);
  geometry.translate(0.5, 0.5, 0.5); // unit cube from 0 to 1
  const position = geometry.attributes.position;
  const widthDelta = new Float32Array(position.count * 3);
  const depthDelta = new Float32Array(position.count * 3);
  for (let i = 0; i < position.count; i++) {
    // Deltas are in the node's space: its scale (below) turns them into 1 m per metre in the world.
    if (position.getX(i) > 0.5) widthDelta[i * 3] = 1 / 0.6;
    if (position.getZ(i) > 0.5) depthDelta[i * 3 + 2] = 1 / 0.58;
  }
  geometry.morphAttributes.position = [new THREE.BufferAttribute(widthDelta, 3), new THREE.BufferAttribute(depthDelta, 3)];
  geometry.morphTargetsRelative = true;
  const mesh = new THREE.Mesh(geometry, new THREE.MeshBasicMaterial());
  mesh.updateMorphTargets();
  mesh.morphTargetDictionary = { width: 0, depth: 1 };
  // Node transform: the unit box scaled to 0.6 × 0.87 × 0.58 m and moved up.
  mesh.scale.set(0.6, 0.87, 0.58);
  mesh.position.set(0, 0.1, 0);
  const scene = new THREE.Group();
  scene.add(mesh);
  const object = new THREE.Group();
  object.add(scene);
  return { url: '/blobs/morph.glb', object, size: [0.6, 0.87, 0.58], bytes: new ArrayBuffer(0), extras: { configurator: { morph: RANGES } } };
}

/** Size and centre of the model as three.js itself evaluates its morphed vertices. */
function drawnBox(model: LoadedModel) {
  const object = model.object!;
  object.updateMatrixWorld(true);
  const box = new THREE.Box3().setFromObject(object, true);
  return { size: box.getSize(new THREE.Vector3()), min: box.min, centre: box.getCenter(new THREE.Vector3()) };
}

describe('morph ranges and weights', () => {
  it('reads the ranges of a morph GLB and refuses malformed ones', () => {
    expect(readMorphRanges({ configurator: { morph: RANGES } })).toEqual(RANGES);
    expect(readMorphRanges({})).toBeNull();
    expect(readMorphRanges(undefined)).toBeNull();
    expect(readMorphRanges({ configurator: { morph: { width: { value: 0.6, min: 0.7, max: 0.9 } } } })).toBeNull();
    expect(readMorphRanges({ configurator: { morph: { width: { value: '0.6', min: 0.3, max: 0.9 } } } })).toBeNull();
  });

  it('weighs each target by v − c within the ranges, and refuses anything else', () => {
    const weights = morphWeights(BASE, RANGES, { ...BASE, width: 0.85, depth: 0.6 });
    expect(weights?.width).toBeCloseTo(0.25, 12);
    expect(weights?.depth).toBeCloseTo(0.02, 12);
    expect(weights?.handle_position).toBe(0);
    expect(morphWeights(BASE, RANGES, { ...BASE, width: 0.9 })).not.toBeNull(); // the range's end
    expect(morphWeights(BASE, RANGES, { ...BASE, width: 0.91 })).toBeNull(); // past it
    expect(morphWeights(BASE, RANGES, { ...BASE, width: 0.3 })).toBeNull();
    expect(morphWeights(BASE, RANGES, { ...BASE, handle_position: 0.9 })).toBeNull(); // no range at all
    expect(morphWeights(BASE, RANGES, { ...BASE, door_count: 2 })).toBeNull(); // topology: no target
    expect(morphWeights(BASE, RANGES, { ...BASE, finish: 'Walnut' })).toBeNull();
  });
});

describe('MorphModel', () => {
  it('poses every mesh for new values and keeps the model on the floor, centred', () => {
    const model = cabinetMorphModel();
    const morph = new MorphModel(model, BASE, RANGES);
    const size = morph.pose({ ...BASE, width: 0.85, depth: 0.6 })!;
    expect(size[0]).toBeCloseTo(0.85, 6);
    expect(size[1]).toBeCloseTo(0.87, 6);
    expect(size[2]).toBeCloseTo(0.6, 6);
    const mesh = model.object!.children[0].children[0] as THREE.Mesh;
    expect(mesh.morphTargetInfluences![0]).toBeCloseTo(0.25, 9);
    expect(mesh.morphTargetInfluences![1]).toBeCloseTo(0.02, 9);
    // What three.js draws from those influences: the same box, standing on y = 0, centred.
    const drawn = drawnBox(model);
    expect(drawn.size.x).toBeCloseTo(0.85, 6);
    expect(drawn.size.z).toBeCloseTo(0.6, 6);
    expect(drawn.min.y).toBeCloseTo(0, 6);
    expect(drawn.centre.x).toBeCloseTo(0, 6);
    expect(drawn.centre.z).toBeCloseTo(0, 6);

    // Back to c: the base, as placed for c.
    const back = morph.pose(BASE)!;
    expect(back[0]).toBeCloseTo(0.6, 6);
    expect(drawnBox(model).centre.x).toBeCloseTo(0, 6);
  });

  it('leaves the model as it was for values it cannot show, and tells listeners of each pose', () => {
    const model = cabinetMorphModel();
    const morph = new MorphModel(model, BASE, RANGES);
    const posed: LoadedModel[] = [];
    const stop = onPose((m) => posed.push(m));
    morph.pose({ ...BASE, width: 0.7 });
    expect(morph.pose({ ...BASE, width: 1.1 })).toBeNull();
    expect(morph.pose({ ...BASE, door_count: 2 })).toBeNull();
    stop();
    morph.pose({ ...BASE, width: 0.8 });
    expect(posed).toEqual([model]);
    expect(drawnBox(model).size.x).toBeCloseTo(0.8, 6);
    expect(morph.covers({ ...BASE, width: 0.9 })).toBe(true);
    expect(morph.covers({ ...BASE, width: 0.95 })).toBe(false);
  });
});

describe('LivePreview with morphing', () => {
  beforeEach(() => {
    submitted.length = 0;
    cancelled.length = 0;
    glbs.clear();
  });

  const defaults = { width: 0.6, depth: 0.58, handle_position: 1, door_count: 1, finish: 'Oak' };

  /** A preview that has shown the defaults' exact GLB and loaded their morph GLB. */
  async function previewWithMorph() {
    const preview = new LivePreview('p', () => undefined, { defaults, morph: true });
    glbs.set('/blobs/morph.glb', cabinetMorphModel());
    preview.request({});
    submitted[0].resolve({ id: 'exact', status: 'COMPLETED', progress: 100, result_url: '/blobs/exact.glb' });
    await settle();
    return preview;
  }

  it('asks for the shown configuration\'s morph GLB in the background, once', async () => {
    const preview = await previewWithMorph();
    expect(submitted).toHaveLength(2);
    expect(submitted[1]).toMatchObject({ config: {}, options: { morph: true, priority: 'background' } });
    expect(preview.getState().model?.url).toBe('/blobs/exact.glb');
    expect(preview.canMorph({ width: 0.85 })).toBe(false); // not there yet
    submitted[1].resolve({ id: 'm', status: 'COMPLETED', progress: 100, result_url: '/blobs/morph.glb' });
    await settle();
    expect(preview.canMorph({ width: 0.85 })).toBe(true);
    preview.request({}); // a memory hit of the same configuration: no second morph job
    expect(submitted).toHaveLength(2);
  });

  it('morphs within the ranges without a request, and not beyond them', async () => {
    const preview = await previewWithMorph();
    submitted[1].resolve({ id: 'm', status: 'COMPLETED', progress: 100, result_url: '/blobs/morph.glb' });
    await settle();

    expect(preview.morph({ width: 0.85 }, 10)).toBe(true);
    expect(submitted).toHaveLength(2);
    const state = preview.getState();
    expect(state.model?.url).toBe('/blobs/morph.glb');
    expect(state.morph?.size[0]).toBeCloseTo(0.85, 6);
    preview.markDrawn(state.model!);
    expect(preview.lastTimings).toMatchObject({ source: 'morph', inputAt: 10 });

    expect(preview.morph({ width: 0.95 })).toBe(false); // past the range: the server's
    expect(preview.morph({ width: 0.7, door_count: 2 })).toBe(false);
    expect(preview.getState().morph?.size[0]).toBeCloseTo(0.85, 6);
  });

  it('replaces the morphed model with the exact one, and drops older exact jobs for a morph', async () => {
    const preview = await previewWithMorph();
    submitted[1].resolve({ id: 'm', status: 'COMPLETED', progress: 100, result_url: '/blobs/morph.glb' });
    await settle();

    preview.request({ width: 0.7 });
    submitted[2].resolve({ id: 'slow', status: 'QUEUED', progress: 0 });
    await settle();
    preview.morph({ width: 0.8 }); // a drag went on: the older exact job is not wanted
    expect(cancelled).toContain('slow');

    preview.request({ width: 0.8 });
    submitted[3].resolve({ id: 'exact-80', status: 'COMPLETED', progress: 100, result_url: '/blobs/exact-80.glb' });
    await settle();
    expect(preview.getState()).toMatchObject({ phase: 'ready', model: { url: '/blobs/exact-80.glb' }, morph: null });
    // …and that configuration's morph GLB is asked for next.
    expect(submitted[4]).toMatchObject({ config: { width: 0.8 }, options: { morph: true } });
  });

  it('shows a configuration in memory as it is rather than posed, and reports it drawn at once', async () => {
    const preview = await previewWithMorph();
    submitted[1].resolve({ id: 'm', status: 'COMPLETED', progress: 100, result_url: '/blobs/morph.glb' });
    await settle();
    preview.block(); // a rule broken: the exact model of the defaults stays on screen
    expect(preview.morph({}, 20)).toBe(true); // back to the values on screen
    expect(preview.getState()).toMatchObject({ phase: 'ready', model: { url: '/blobs/exact.glb' }, morph: null });
    expect(preview.lastTimings).toMatchObject({ source: 'memory', inputAt: 20 });
    expect(submitted).toHaveLength(2);
  });

  it('fetches nothing without the option', async () => {
    const preview = new LivePreview('p', () => undefined, { defaults });
    preview.request({});
    submitted[0].resolve({ id: 'exact', status: 'COMPLETED', progress: 100, result_url: '/blobs/exact.glb' });
    await settle();
    expect(submitted).toHaveLength(1);
    expect(preview.morph({ width: 0.85 })).toBe(false);
  });
});
