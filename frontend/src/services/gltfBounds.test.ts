import { describe, expect, it } from 'vitest';
import * as THREE from 'three';
import { glbJson, sceneSize, writeGlb, type GltfJson } from './gltfBounds';

/** A small deterministic random source (tests repeat exactly). */
function random(seed: number) {
  let state = seed;
  return () => {
    state = (state * 1664525 + 1013904223) % 2 ** 32;
    return state / 2 ** 32;
  };
}

/** A glTF of nested, rotated, scaled and translated nodes with boxes, and the same scene in three.js. */
function twoWays(seed: number): { json: GltfJson; scene: THREE.Object3D } {
  const next = random(seed);
  const json: GltfJson = { scene: 0, scenes: [{ nodes: [] }], nodes: [], meshes: [], accessors: [] };
  const scene = new THREE.Object3D();
  const add = (parent: THREE.Object3D, parentIndex: number | null, depth: number) => {
    const index = json.nodes!.length;
    const quaternion = new THREE.Quaternion(next() - 0.5, next() - 0.5, next() - 0.5, next() - 0.5).normalize();
    const node = {
      translation: [next() * 2 - 1, next() * 2 - 1, next() * 2 - 1],
      rotation: quaternion.toArray(),
      scale: [0.5 + next(), 0.5 + next(), 0.5 + next()],
      children: [] as number[],
    } as NonNullable<GltfJson['nodes']>[number];
    const min = [next() - 1, next() - 1, next() - 1];
    const max = min.map((v) => v + next() + 0.01);
    const geometry = new THREE.BufferGeometry();
    geometry.setAttribute('position', new THREE.Float32BufferAttribute([...min, ...max], 3));
    geometry.boundingBox = new THREE.Box3(new THREE.Vector3(...min), new THREE.Vector3(...max));
    const object = new THREE.Mesh(geometry);
    object.position.fromArray(node.translation!);
    object.quaternion.copy(quaternion);
    object.scale.fromArray(node.scale!);
    json.accessors!.push({ min, max });
    json.meshes!.push({ primitives: [{ attributes: { POSITION: json.accessors!.length - 1 } }] });
    node.mesh = json.meshes!.length - 1;
    json.nodes!.push(node);
    if (parentIndex === null) json.scenes![0].nodes!.push(index);
    else json.nodes![parentIndex].children!.push(index);
    parent.add(object);
    if (depth < 2) for (let i = 0; i < 2; i++) add(object, index, depth + 1);
  };
  add(scene, null, 0);
  add(scene, null, 1);
  return { json, scene };
}

describe('sceneSize', () => {
  it('is the box three.js gives the same scene', () => {
    for (const seed of [1, 2, 3, 4, 5]) {
      const { json, scene } = twoWays(seed);
      scene.updateMatrixWorld(true);
      const expected = new THREE.Box3().setFromObject(scene).getSize(new THREE.Vector3()).toArray();
      const size = sceneSize(json)!;
      size.forEach((value, k) => expect(value).toBeCloseTo(expected[k], 5));
    }
  });

  it('reads a node matrix as glTF writes it (column-major)', () => {
    const json: GltfJson = {
      scenes: [{ nodes: [0] }],
      nodes: [{ mesh: 0, matrix: [2, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 5, 0, 0, 1] }],
      meshes: [{ primitives: [{ attributes: { POSITION: 0 } }] }],
      accessors: [{ min: [0, 0, 0], max: [1, 2, 3] }],
    };
    expect(sceneSize(json)).toEqual([2, 2, 3]);
  });

  it('is null for a scene without meshes', () => {
    expect(sceneSize({ scenes: [{ nodes: [0] }], nodes: [{}] })).toBeNull();
  });
});

describe('glbJson', () => {
  it('reads the JSON chunk that writeGlb wrote, and refuses what is not a GLB', () => {
    const bytes = writeGlb({ asset: { version: '2.0' } }, [new Uint8Array(4)]);
    expect(new DataView(bytes).getUint32(12, true) % 4).toBe(0); // the JSON padded to 4 bytes
    expect(glbJson(bytes)).toEqual({ asset: { version: '2.0' } });
    expect(() => glbJson(new ArrayBuffer(24))).toThrow('not a GLB');
  });
});
