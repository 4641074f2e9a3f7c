/** How every product is seen in the viewer (the catalogue's thumbnails are rendered on the
 * server, engine/blender/thumbnails.py): the soft studio light (`lightWithStudio`) and the tone mapping (the camera
 * framing a model: ./viewMath).
 *
 * The light is three's RoomEnvironment, prefiltered into a PMREM-shaped cube map. Built
 * locally, so nothing is fetched from the internet.
 *
 * three's PMREMGenerator integrates 256 GGX samples per texel; on a software renderer
 * (SwiftShader: headless browsers, machines without a usable GPU) that stalls the page for
 * 6–10 s per WebGL context. This filter takes a few mip-aware samples per texel instead —
 * well under a second there, a millisecond or two on a GPU — and looks the same on the
 * soft room light. Its output has the layout three's materials expect of a PMREM (cube
 * texture, one mip per roughness level, `isPMREMTexture`), so the renderer uses it as is. */
import {
  BackSide, BoxGeometry, CubeCamera, HalfFloatType, LinearMipmapLinearFilter, LinearSRGBColorSpace, Mesh,
  NeutralToneMapping, NoBlending, NoToneMapping, UnsignedByteType, SRGBColorSpace, ShaderChunk, ShaderMaterial,
  WebGLCubeRenderTarget, type Scene, type Texture, type WebGLRenderer,
} from 'three';
import { RoomEnvironment } from 'three/examples/jsm/environments/RoomEnvironment.js';
import { viewerBudget } from '../../lib/renderer';

/** log2 of the roughest level's face size (as three's PMREM); the sharpest level's face size is
 * the renderer's budget (256 as three's on a GPU, 64 on a software renderer: 16 times fewer
 * texels to filter, reflections a little softer). */
const LOD_MIN = 3;
const SAMPLES = 24;
/** Radiance stored as value / RANGE: the prefiltered room stays below it but for the lamps' cores. */
const RANGE = 8;

const filterShader = /* glsl */ `
  #define SAMPLES ${SAMPLES}
  #define PI 3.141592653589793
  varying vec3 vWorldDirection;
  uniform samplerCube envMap;
  uniform float coneAngle;   // half-angle of the sampled cone, radians
  uniform float sourceLod;   // source mip whose texels match the sample spacing
  uniform float scale;

  void main() {
    vec3 N = normalize( vWorldDirection );
    if ( coneAngle <= 0.0 ) {
      gl_FragColor = vec4( textureLod( envMap, N, 0.0 ).rgb * scale, 1.0 );
      return;
    }
    vec3 up = abs( N.y ) < 0.999 ? vec3( 0.0, 1.0, 0.0 ) : vec3( 1.0, 0.0, 0.0 );
    vec3 T = normalize( cross( up, N ) );
    vec3 B = cross( N, T );
    vec3 color = vec3( 0.0 );
    float total = 0.0;
    for ( int i = 0; i < SAMPLES; i ++ ) {
      // Golden-angle spiral over the cone, denser near its axis like a GGX lobe.
      float f = ( float( i ) + 0.5 ) / float( SAMPLES );
      float theta = coneAngle * f;
      float phi = float( i ) * 2.39996323;
      vec3 L = cos( theta ) * N + sin( theta ) * ( cos( phi ) * T + sin( phi ) * B );
      float weight = cos( min( theta, PI * 0.5 ) ) * exp( -2.0 * f * f ) * sin( max( theta, 1e-3 ) );
      color += textureLod( envMap, L, sourceLod ).rgb * weight;
      total += weight;
    }
    gl_FragColor = vec4( color / total * scale, 1.0 );
  }
`;

/** Roughness stored at a level, as three's PMREMGenerator.lodToRoughness. */
function lodToRoughness(lod: number, maxLod: number): number {
  return maxLod > 0 ? 1 - Math.sqrt(1 - lod / maxLod) : 0;
}

/** The renderer's tone mapping for the studio light. */
export const STUDIO_TONE_MAPPING = NeutralToneMapping;

interface StudioEnvironment {
  texture: Texture;
  /** Set as the scene's environmentIntensity. */
  intensity: number;
  dispose(): void;
}

/** Light `scene` with the studio environment, prefiltered with `renderer`; returns the undo. */
export function lightWithStudio(scene: Scene, renderer: WebGLRenderer, size = viewerBudget().environmentSize): () => void {
  const environment = createStudioEnvironment(renderer, size);
  scene.environment = environment.texture;
  scene.environmentIntensity = environment.intensity;
  return () => {
    scene.environment = null;
    environment.dispose();
  };
}

function createStudioEnvironment(renderer: WebGLRenderer, faceSize: number): StudioEnvironment {
  const maxLod = Math.log2(faceSize) - LOD_MIN;
  const source = new WebGLCubeRenderTarget(faceSize, {
    type: HalfFloatType, colorSpace: LinearSRGBColorSpace, generateMipmaps: true, minFilter: LinearMipmapLinearFilter,
  });
  // 8-bit sRGB storage of radiance / RANGE: sampled in hardware (sRGB decode and filtering
  // are free), a third cheaper than half floats on a software renderer; the materials get
  // RANGE back through the scene's environment intensity.
  const target = new WebGLCubeRenderTarget(faceSize, {
    type: UnsignedByteType, colorSpace: SRGBColorSpace, generateMipmaps: false, minFilter: LinearMipmapLinearFilter,
    depthBuffer: false,
  });
  // Mip sizes are what the material reads (level count and base size); the GPU levels are allocated from them.
  const levels = target.texture.mipmaps as unknown as { width: number; height: number }[];
  for (let lod = 0; lod <= maxLod; lod++) levels.push({ width: faceSize >> lod, height: faceSize >> lod });
  target.texture.name = 'PMREM';
  target.texture.isPMREMTexture = true;

  const room = new RoomEnvironment();
  const material = new ShaderMaterial({
    name: 'StudioEnvironmentFilter',
    uniforms: { envMap: { value: source.texture }, coneAngle: { value: 0 }, sourceLod: { value: 0 }, scale: { value: 1 / RANGE } },
    vertexShader: ShaderChunk.cube_vert,
    fragmentShader: filterShader,
    side: BackSide,
    blending: NoBlending,
    depthTest: false,
    depthWrite: false,
  });
  const box = new Mesh(new BoxGeometry(1, 1, 1), material);
  const camera = new CubeCamera(0.1, 100, source);

  const toneMapping = renderer.toneMapping;
  const autoClear = renderer.autoClear;
  const current = renderer.getRenderTarget();
  renderer.toneMapping = NoToneMapping;
  renderer.autoClear = true;
  try {
    camera.update(renderer, room); // the room into a mipmapped cube

    camera.renderTarget = target;
    for (let lod = 0; lod <= maxLod; lod++) {
      const roughness = lodToRoughness(lod, maxLod);
      const alpha = roughness * roughness;
      // The GGX lobe (V = N) reaches about 2·atan(α) from the mirror direction; a fully
      // rough level covers the hemisphere (the diffuse irradiance lookup).
      const cone = lod === 0 ? 0 : Math.min(Math.PI / 2, 2.5 * Math.atan(alpha) + 0.02);
      const spacing = cone / Math.sqrt(SAMPLES);
      material.uniforms.coneAngle.value = cone;
      material.uniforms.sourceLod.value = lod === 0 ? 0 : Math.max(0, Math.log2((faceSize * spacing) / (Math.PI / 2)) + 1);
      const size = faceSize >> lod;
      target.viewport.set(0, 0, size, size); // three does not scale the viewport to the mip
      camera.activeMipmapLevel = lod;
      camera.update(renderer, box);
    }
    target.viewport.set(0, 0, faceSize, faceSize);
  } finally {
    renderer.setRenderTarget(current);
    renderer.toneMapping = toneMapping;
    renderer.autoClear = autoClear;
    room.dispose();
    box.geometry.dispose();
    material.dispose();
    source.dispose();
  }
  return { texture: target.texture, intensity: RANGE, dispose: () => target.dispose() };
}
