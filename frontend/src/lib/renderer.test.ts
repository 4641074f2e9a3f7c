import { describe, expect, it } from 'vitest';
import { isSoftwareRenderer, viewerBudget } from './renderer';

describe('isSoftwareRenderer', () => {
  it('recognises software WebGL renderers', () => {
    expect(isSoftwareRenderer('ANGLE (Google, Vulkan 1.3.0 (SwiftShader Device (Subzero)), SwiftShader driver)')).toBe(true);
    expect(isSoftwareRenderer('llvmpipe (LLVM 15.0.6, 256 bits)')).toBe(true);
  });
  it('treats GPUs and unknown renderers as hardware', () => {
    expect(isSoftwareRenderer('ANGLE (NVIDIA, NVIDIA GeForce RTX 3060 Direct3D11 vs_5_0 ps_5_0)')).toBe(false);
    expect(isSoftwareRenderer('Apple M2')).toBe(false);
    expect(isSoftwareRenderer(null)).toBe(false);
  });
});

describe('viewerBudget', () => {
  it('spends less per frame on a software renderer, everything on a GPU', () => {
    const software = viewerBudget('ANGLE (Google, Vulkan 1.3.0 (SwiftShader Device (Subzero)), SwiftShader driver)');
    const gpu = viewerBudget('ANGLE (NVIDIA, NVIDIA GeForce RTX 3060 Direct3D11 vs_5_0 ps_5_0)');
    expect(software).toEqual({ dpr: 1, antialias: false, environmentSize: 64, shadowResolution: 256 });
    expect(gpu).toEqual({ dpr: [1, 2], antialias: true, environmentSize: 256, shadowResolution: 512 });
    expect(viewerBudget(null)).toEqual(gpu);
  });
});
