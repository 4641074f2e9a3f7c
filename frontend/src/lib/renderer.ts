/** What kind of WebGL renderer this browser has, and what the viewer may spend on a frame
 * there (`viewerBudget`). A GPU antialiases for free; a software renderer (SwiftShader,
 * llvmpipe: browsers without GPU acceleration) pays about a third of its frame time for it,
 * which would delay every new model, and pays for every pixel, texel and pass likewise. */

const SOFTWARE_RENDERERS = /swiftshader|llvmpipe|softpipe|software/i;

export function isSoftwareRenderer(rendererName: string | null): boolean {
  return rendererName !== null && SOFTWARE_RENDERERS.test(rendererName);
}

let cached: string | null | undefined;
let available: boolean | undefined;

/** Whether this browser can make a WebGL context at all (off by policy, flag or driver: the
 * viewer is then not mounted, rather than failing to create its renderer). */
export function webglAvailable(): boolean {
  if (available !== undefined) return available;
  if (typeof document === 'undefined') return (available = false);
  const canvas = document.createElement('canvas');
  const gl = canvas.getContext('webgl2') ?? canvas.getContext('webgl');
  gl?.getExtension('WEBGL_lose_context')?.loseContext();
  return (available = gl !== null);
}

/** The unmasked renderer string, probed once with a throwaway context (null if unknown). */
export function webglRendererName(): string | null {
  if (cached !== undefined) return cached;
  cached = null;
  if (typeof document === 'undefined') return cached;
  const gl = document.createElement('canvas').getContext('webgl2') ?? document.createElement('canvas').getContext('webgl');
  if (!gl) return cached;
  const info = gl.getExtension('WEBGL_debug_renderer_info');
  cached = String(gl.getParameter(info ? info.UNMASKED_RENDERER_WEBGL : gl.RENDERER));
  gl.getExtension('WEBGL_lose_context')?.loseContext();
  return cached;
}

/** What the viewer spends on a frame. */
export interface ViewerBudget {
  /** The canvas's device pixel ratio (a range: the screen's, clamped). */
  dpr: number | [number, number];
  antialias: boolean;
  /** Face size of the studio light's sharpest level (./components/scene/studio.ts). */
  environmentSize: number;
  /** Size of the contact shadow's render targets. */
  shadowResolution: number;
}

/** On a GPU, everything. On a software renderer every pixel is paid for on the CPU (and, when
 * the browser composites in software too, the page waits for each frame to be read back):
 * measured in Chromium's SwiftShader here, a phone-sized page's first frames held the main
 * thread 12 s at the screen's density (2.6), a 256 px studio light and a 512 px shadow, and
 * about 2.5 s at density 1, 64 px and 256 px. The model is the same; it is drawn with fewer
 * pixels, softer reflections and a coarser shadow. */
export function viewerBudget(rendererName: string | null = webglRendererName()): ViewerBudget {
  return isSoftwareRenderer(rendererName)
    ? { dpr: 1, antialias: false, environmentSize: 64, shadowResolution: 256 }
    : { dpr: [1, 2], antialias: true, environmentSize: 256, shadowResolution: 512 };
}
