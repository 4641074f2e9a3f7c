/** What kind of WebGL renderer this browser has. A GPU antialiases for free; a software
 * renderer (SwiftShader, llvmpipe: browsers without GPU acceleration) pays about a third of
 * its frame time for it, which would delay every new model. */

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

export function antialiasIsCheap(): boolean {
  return !isSoftwareRenderer(webglRendererName());
}
