/** The 3D view's decisions, apart from React and the renderer: which key does what, how much
 * of the view a model takes from a camera, and when a changed model moves the camera. */
import { Vector3, type PerspectiveCamera } from 'three';

/** One press of an arrow key turns the view by this much (radians). */
export const TURN_STEP = Math.PI / 12;
/** One press of +/− moves the camera this many times closer/farther. */
export const ZOOM_STEP = 1.25;

export type ViewAction =
  | { kind: 'turn'; left: number; up: number }
  | { kind: 'zoom'; factor: number }
  | { kind: 'reset' };

/** The action of a key pressed on the focused view, or null (the key keeps its usual meaning:
 * Tab leaves the view, Ctrl/⌘/Alt combinations stay the browser's). */
export function viewKeyAction(event: { key: string; ctrlKey?: boolean; metaKey?: boolean; altKey?: boolean }): ViewAction | null {
  if (event.ctrlKey || event.metaKey || event.altKey) return null;
  switch (event.key) {
    case 'ArrowLeft': return { kind: 'turn', left: TURN_STEP, up: 0 };
    case 'ArrowRight': return { kind: 'turn', left: -TURN_STEP, up: 0 };
    case 'ArrowUp': return { kind: 'turn', left: 0, up: TURN_STEP };
    case 'ArrowDown': return { kind: 'turn', left: 0, up: -TURN_STEP };
    case '+': case '=': case 'PageUp': return { kind: 'zoom', factor: ZOOM_STEP };
    case '-': case '_': case 'PageDown': return { kind: 'zoom', factor: 1 / ZOOM_STEP };
    case '0': case 'Home': return { kind: 'reset' };
    default: return null;
  }
}

/** The eight corners of a model of `size` [w, h, d] standing on the floor, centred (as the
 * model loader places it). */
export function modelCorners(size: readonly [number, number, number]): Vector3[] {
  const [w, h, d] = size;
  const corners: Vector3[] = [];
  for (const x of [-w / 2, w / 2]) for (const y of [0, h]) for (const z of [-d / 2, d / 2]) corners.push(new Vector3(x, y, z));
  return corners;
}

/** How far out the model's bounding box reaches on screen from `camera` in a view of `aspect`:
 * the largest |x| or |y| of its corners in normalised device coordinates. 1 is the edge of the
 * view; above 1 some of the model is cut off (Infinity when a corner is behind the camera).
 * Computed from the camera's place and field of view, so it can ask about an aspect the
 * camera's projection does not have yet. */
export function modelExtent(camera: PerspectiveCamera, size: readonly [number, number, number], aspect: number): number {
  camera.updateMatrixWorld();
  const tanY = Math.tan((camera.fov * Math.PI) / 360);
  const tanX = tanY * aspect;
  let extent = 0;
  for (const corner of modelCorners(size)) {
    const p = corner.applyMatrix4(camera.matrixWorldInverse);
    const depth = -p.z;
    if (depth <= 0) return Infinity;
    extent = Math.max(extent, Math.abs(p.x) / (depth * tanX), Math.abs(p.y) / (depth * tanY));
  }
  return extent;
}

/** A model reaching further than this is no longer wholly in view. */
export const IN_VIEW = 1;
/** A model whose fitted camera distance is below this share of the camera's distance has
 * shrunk enough to look lost in the view (about a third smaller). */
export const SHRINK_REFIT = 0.7;

/** Whether a changed model (or a changed view) moves the camera to fit it again, given how
 * far the old one reached on screen (`before`), how far the new one does from the same camera
 * (`after`), the camera's distance from what it looks at and the distance that fits the new
 * model.
 *
 * The camera refits only when a model that was wholly in view no longer is (it grew: a taller
 * chimney, a wider cabinet; or the view got narrower), or when it shrank so much it would look
 * lost. Small changes either way leave the camera still, so the shopper sees the new size
 * against an unmoving background rather than a view that jumps at every step, which keeping
 * the model always fitted would do. Someone who zoomed in past the model's edges on purpose
 * keeps their view. */
export function shouldRefit(before: number, after: number, distance: number, fittedDistance: number): boolean {
  if (before > IN_VIEW) return false;
  if (after > IN_VIEW) return true;
  return fittedDistance < distance * SHRINK_REFIT;
}

/** Camera distance at which a sphere of `radius` fills the view with a margin. */
export function fitDistance(radius: number, verticalFovDeg: number, aspect: number, margin = 1.15): number {
  const vertical = (verticalFovDeg * Math.PI) / 180;
  const horizontal = 2 * Math.atan(Math.tan(vertical / 2) * aspect);
  return (radius * margin) / Math.sin(Math.min(vertical, horizontal) / 2);
}

export interface CameraPlace {
  target: Vector3;
  position: Vector3;
  distance: number;
  /** Radius of the model's bounding sphere. */
  radius: number;
}

/** Where the camera goes to show a model of `size` wholly in a view of `aspect`, looking at
 * the middle of its height from `direction` (from the target towards the camera). */
export function placeCamera(size: readonly [number, number, number], fovDeg: number, aspect: number, direction: Vector3): CameraPlace {
  const [width, height, depth] = size;
  const radius = Math.hypot(width, height, depth) / 2;
  const target = new Vector3(0, height / 2, 0);
  const distance = fitDistance(radius, fovDeg, aspect);
  const position = target.clone().addScaledVector(direction.clone().normalize(), distance);
  return { target, position, distance, radius };
}
