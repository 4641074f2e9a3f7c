/** Product thumbnails: one hidden WebGL renderer draws each preview GLB once, in the same
 * studio light as the viewer, and hands out image URLs. A catalogue page of many products
 * then costs one WebGL context, not one per card. */
import {
  CanvasTexture, Mesh, MeshBasicMaterial, PerspectiveCamera, PlaneGeometry, Scene, WebGLRenderer,
} from 'three';
import { disposeModel, loadModel } from '../../services/modelLoader';
import { frameModel, lightWithStudio, STUDIO_TONE_MAPPING } from './studio';

const WIDTH = 480;
const HEIGHT = 360;
const FOV = 30;

let renderer: WebGLRenderer | null = null;
let scene: Scene | null = null;
let shadow: Mesh | null = null;
let queue: Promise<unknown> = Promise.resolve();
const images = new Map<string, Promise<string>>();

function setUp(): { renderer: WebGLRenderer; scene: Scene } {
  if (!renderer || !scene) {
    renderer = new WebGLRenderer({ antialias: true, alpha: true, preserveDrawingBuffer: true });
    renderer.setPixelRatio(2); // sharp on high-density screens, supersampled elsewhere
    renderer.setSize(WIDTH, HEIGHT, false);
    renderer.toneMapping = STUDIO_TONE_MAPPING;
    scene = new Scene();
    lightWithStudio(scene, renderer); // lives as long as the page
    shadow = softShadow();
    scene.add(shadow);
  }
  return { renderer, scene };
}

async function draw(url: string): Promise<string> {
  const model = await loadModel(url);
  const { renderer, scene } = setUp();
  try {
    const [w, , d] = model.size;
    const camera = new PerspectiveCamera(FOV, WIDTH / HEIGHT);
    frameModel(camera, model.size, WIDTH / HEIGHT, 1.05);
    shadow?.scale.set(w * 1.35 + 0.1, d * 1.5 + 0.1, 1);
    scene.add(model.object);
    renderer.render(scene, camera);
    scene.remove(model.object);
    const blob = await new Promise<Blob | null>((resolve) => renderer.domElement.toBlob(resolve, 'image/webp', 0.9));
    if (!blob) throw new Error('thumbnail could not be encoded');
    return URL.createObjectURL(blob);
  } finally {
    disposeModel(model);
  }
}

/** A blurred footprint under the model (the viewer draws real contact shadows; for a
 * still image this is enough and costs nothing). */
function softShadow(): Mesh {
  const canvas = document.createElement('canvas');
  canvas.width = canvas.height = 128;
  const context = canvas.getContext('2d')!;
  const gradient = context.createRadialGradient(64, 64, 8, 64, 64, 64);
  gradient.addColorStop(0, 'rgba(27, 36, 48, 0.55)');
  gradient.addColorStop(0.55, 'rgba(27, 36, 48, 0.25)');
  gradient.addColorStop(1, 'rgba(27, 36, 48, 0)');
  context.fillStyle = gradient;
  context.fillRect(0, 0, 128, 128);
  const mesh = new Mesh(
    new PlaneGeometry(1, 1),
    new MeshBasicMaterial({ map: new CanvasTexture(canvas), transparent: true, depthWrite: false, toneMapped: false }),
  );
  mesh.rotation.x = -Math.PI / 2;
  mesh.position.y = 0.0005;
  return mesh;
}

/** An image URL of the GLB at `url` (drawn once per page load; one at a time). */
export function thumbnailFor(url: string): Promise<string> {
  let image = images.get(url);
  if (!image) {
    image = queue.then(() => draw(url));
    queue = image.catch(() => undefined);
    images.set(url, image);
    image.catch(() => images.delete(url));
  }
  return image;
}
