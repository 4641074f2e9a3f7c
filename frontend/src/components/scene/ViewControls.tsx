/** Turning and zooming the 3D view from the keyboard, the mouse wheel left to the page, and
 * the camera fitted to the model.
 *
 * - `ViewFrame` (around the canvas) is the view's place in the Tab order: a labelled,
 *   described `role="application"` whose keys (./viewMath `viewKeyAction`) turn, zoom and
 *   reset; every other key keeps its meaning, so Tab leaves it. A plain wheel over the view
 *   scrolls the page, as over any other part of it; Ctrl/⌘ + wheel (a trackpad's pinch comes
 *   as Ctrl + wheel) and two fingers on a touch screen zoom. A plain wheel shows for a moment
 *   how to zoom, as maps do.
 * - `ViewControls` (inside the canvas) moves the camera: framed to the first model and when
 *   asked (the frame button, 0 or Home), refitted when a changed model no longer fits
 *   (./viewMath `shouldRefit`), smoothly unless the shopper prefers reduced motion. */
import { useCallback, useEffect, useRef, useState, type ReactNode, type RefObject } from 'react';
import { useFrame, useThree } from '@react-three/fiber';
import { Spherical, Vector3, type PerspectiveCamera } from 'three';
import { modelExtent, placeCamera, shouldRefit, viewKeyAction, type CameraPlace } from './viewMath';
import { exposeViewForTests, type ViewTestHooks } from '../../lib/testHooks';

/** The id of the view's help text (its description for screen readers). */
export const VIEW_HELP_ID = 'viewer-help';
const WHEEL_HINT_MS = 1600;
const REFIT_MS = 380;
/** A key's turn glides this long (held down, the key repeats faster: each press starts from where the last was going). */
const TURN_MS = 160;
/** The camera never looks from straight above (the orbit would flip over the pole). */
const MIN_POLAR = 0.05;

/** What the frame asks of the camera. */
export interface ViewHandle {
  turn(left: number, up: number): void;
  /** `factor` > 1 comes closer. */
  zoom(factor: number): void;
  reset(): void;
}

/** Where the camera comes from when the view is framed: front, a little right and above, like a showroom photo. */
const SHOWROOM = new Vector3(0.55, 0.42, 1).normalize();

const isMac = () => typeof navigator !== 'undefined' && /Mac|iPhone|iPad/.test(navigator.platform || navigator.userAgent);

export function ViewFrame({ handle, label, children }: { handle: RefObject<ViewHandle | null>; label: string; children: ReactNode }) {
  const frame = useRef<HTMLDivElement>(null);
  const [wheelHint, setWheelHint] = useState(false);

  useEffect(() => {
    const element = frame.current;
    if (!element) return;
    let timer: ReturnType<typeof setTimeout> | undefined;
    // Capture, before the orbit controls (on the canvas inside) see the wheel: a plain wheel
    // stops here and the browser scrolls the page; with Ctrl/⌘ it goes on to zoom.
    const onWheel = (event: WheelEvent) => {
      if (event.ctrlKey || event.metaKey) return;
      event.stopPropagation();
      setWheelHint(true);
      clearTimeout(timer);
      timer = setTimeout(() => setWheelHint(false), WHEEL_HINT_MS);
    };
    element.addEventListener('wheel', onWheel, { capture: true, passive: true });
    return () => {
      clearTimeout(timer);
      element.removeEventListener('wheel', onWheel, { capture: true });
    };
  }, []);

  const onKeyDown = (event: React.KeyboardEvent) => {
    const action = viewKeyAction(event);
    const view = handle.current;
    if (!action || !view) return;
    event.preventDefault(); // arrows and Page keys would scroll the page as well
    if (action.kind === 'turn') view.turn(action.left, action.up);
    else if (action.kind === 'zoom') view.zoom(action.factor);
    else view.reset();
  };

  return (
    <div ref={frame} className="viewer-frame" tabIndex={0} role="application" aria-label={label}
      aria-describedby={VIEW_HELP_ID} onKeyDown={onKeyDown}>
      {children}
      <p id={VIEW_HELP_ID} className="visually-hidden">
        Arrow keys turn the model, plus and minus zoom, 0 frames it again. Tab leaves the view.
      </p>
      <p className={`viewer-wheel-hint${wheelHint ? ' is-shown' : ''}`} aria-hidden="true">
        {isMac() ? 'Use ⌘ + scroll to zoom' : 'Use Ctrl + scroll to zoom'}
      </p>
    </div>
  );
}

/** What ViewControls needs of drei's OrbitControls (the default controls, three-stdlib's). */
interface Orbit {
  target: Vector3;
  minDistance: number;
  maxDistance: number;
  minPolarAngle: number;
  maxPolarAngle: number;
  update(): void;
  getDistance(): number;
  getAzimuthalAngle(): number;
  getPolarAngle(): number;
  addEventListener(type: 'start', listener: () => void): void;
  removeEventListener(type: 'start', listener: () => void): void;
}

interface Tween {
  fromTarget: Vector3;
  fromPosition: Vector3;
  toTarget: Vector3;
  toPosition: Vector3;
  startedAt: number;
  ms: number;
  /** A new fit: its distance limits and clipping planes apply once there. */
  fit?: CameraPlace;
}

type Size = readonly [number, number, number];

const sameSize = (a: Size, b: Size) => a.every((v, i) => Math.abs(v - b[i]) < 1e-6);
const reducedMotion = () => typeof matchMedia !== 'undefined' && matchMedia('(prefers-reduced-motion: reduce)').matches;

export function ViewControls({ size, fitRequest, handle }: { size: Size | null; fitRequest: number; handle: RefObject<ViewHandle | null> }) {
  const camera = useThree((s) => s.camera) as PerspectiveCamera;
  const controls = useThree((s) => s.controls) as unknown as Orbit | null;
  const viewport = useThree((s) => s.size);
  const invalidate = useThree((s) => s.invalidate);
  const aspect = viewport.width / Math.max(viewport.height, 1);
  /** The fit request last carried out, and the model size and aspect the camera last saw. */
  const fitted = useRef<number | null>(null);
  const shown = useRef<{ size: Size; aspect: number } | null>(null);
  const tween = useRef<Tween | null>(null);
  const fits = useRef<string[]>([]);

  /** Limits and clipping planes for a camera at `place` (and, while gliding, at `from` too). */
  const limit = useCallback((place: CameraPlace, from = place.distance) => {
    if (!controls) return;
    controls.minDistance = Math.min(place.radius * 1.1, from);
    controls.maxDistance = Math.max(place.distance * 4, from);
    camera.near = Math.min(place.distance, from) / 100;
    camera.far = Math.max(place.distance, from) * 20;
    camera.updateProjectionMatrix();
  }, [camera, controls]);

  const finishTween = useCallback(() => {
    const glide = tween.current;
    if (!glide || !controls) return;
    tween.current = null;
    controls.target.copy(glide.toTarget);
    camera.position.copy(glide.toPosition);
    if (glide.fit) limit(glide.fit);
    controls.update();
  }, [camera, controls, limit]);

  /** Glide (or, with reduced motion, jump) to `position` looking at `target`. */
  const glideTo = useCallback((target: Vector3, position: Vector3, ms: number, fit?: CameraPlace) => {
    if (!controls) return;
    if (ms > 0 && !reducedMotion()) {
      tween.current = { fromTarget: controls.target.clone(), fromPosition: camera.position.clone(), toTarget: target, toPosition: position,
        startedAt: performance.now(), ms, fit };
    } else {
      tween.current = null;
      controls.target.copy(target);
      camera.position.copy(position);
      if (fit) limit(fit);
      controls.update();
    }
    invalidate();
  }, [camera, controls, limit, invalidate]);

  const moveTo = useCallback((place: CameraPlace, smoothly: boolean) => {
    if (!controls) return;
    finishTween();
    limit(place, controls.getDistance()); // room for the way there
    glideTo(place.target, place.position, smoothly ? REFIT_MS : 0, place);
  }, [controls, finishTween, limit, glideTo]);

  useFrame(() => {
    const glide = tween.current;
    if (!glide || !controls) return;
    const t = Math.min(1, (performance.now() - glide.startedAt) / glide.ms);
    const eased = 1 - (1 - t) ** 3;
    controls.target.lerpVectors(glide.fromTarget, glide.toTarget, eased);
    camera.position.lerpVectors(glide.fromPosition, glide.toPosition, eased);
    controls.update();
    if (t >= 1) finishTween();
    invalidate();
  });

  // The shopper takes the camera: a glide in progress stops where it is.
  useEffect(() => {
    if (!controls) return;
    const stop = () => {
      const glide = tween.current;
      tween.current = null;
      if (glide?.fit) limit(glide.fit, controls.getDistance());
    };
    controls.addEventListener('start', stop);
    return () => controls.removeEventListener('start', stop);
  }, [controls, limit]);

  useEffect(() => {
    if (!size || !controls) return;
    const previous = shown.current;
    shown.current = { size, aspect };
    if (!previous || fitted.current !== fitRequest) {
      // The first model, or the frame button: the showroom view.
      fitted.current = fitRequest;
      fits.current.push(previous ? 'asked' : 'first');
      moveTo(placeCamera(size, camera.fov, aspect, SHOWROOM), previous !== null);
      return;
    }
    if (sameSize(previous.size, size) && Math.abs(previous.aspect - aspect) < 1e-6) return;
    finishTween(); // judge from where the camera is going, not from half-way there
    const before = modelExtent(camera, previous.size, previous.aspect);
    const after = modelExtent(camera, size, aspect);
    const direction = camera.position.clone().sub(controls.target);
    const place = placeCamera(size, camera.fov, aspect, direction);
    if (!shouldRefit(before, after, controls.getDistance(), place.distance)) return;
    fits.current.push(`refit ${before.toFixed(3)} → ${after.toFixed(3)}`);
    moveTo(place, true);
  }, [size, aspect, fitRequest, controls, camera, moveTo, finishTween]);

  useEffect(() => {
    handle.current = controls && {
      turn(left, up) {
        // From where the camera is going: presses in quick succession add up.
        const glide = tween.current;
        const target = (glide?.toTarget ?? controls.target).clone();
        const orbit = new Spherical().setFromVector3((glide?.toPosition ?? camera.position).clone().sub(target));
        orbit.theta += left;
        orbit.phi = Math.min(controls.maxPolarAngle, Math.max(Math.max(controls.minPolarAngle, MIN_POLAR), orbit.phi - up));
        const fit = glide?.fit;
        tween.current = null;
        if (fit) limit(fit);
        glideTo(target, target.clone().add(new Vector3().setFromSpherical(orbit)), TURN_MS);
      },
      zoom(factor) {
        const glide = tween.current;
        const target = (glide?.toTarget ?? controls.target).clone();
        const offset = (glide?.toPosition ?? camera.position).clone().sub(target);
        const distance = Math.min(controls.maxDistance, Math.max(controls.minDistance, offset.length() / factor));
        const fit = glide?.fit;
        tween.current = null;
        if (fit) limit(fit);
        glideTo(target, target.clone().add(offset.setLength(distance)), TURN_MS);
      },
      reset() {
        const last = shown.current;
        if (!last) return;
        fits.current.push('asked');
        moveTo(placeCamera(last.size, camera.fov, last.aspect, SHOWROOM), true);
      },
    };
    return () => { handle.current = null; };
  }, [handle, controls, camera, moveTo, glideTo, finishTween, limit, invalidate]);

  useEffect(() => {
    if (!controls) return;
    const hooks: ViewTestHooks = {
      camera: () => ({
        azimuth: controls.getAzimuthalAngle(),
        polar: controls.getPolarAngle(),
        distance: controls.getDistance(),
        target: controls.target.toArray(),
      }),
      extent: () => (shown.current ? modelExtent(camera, shown.current.size, shown.current.aspect) : null),
      moving: () => tween.current !== null,
      fits: () => [...fits.current],
    };
    return exposeViewForTests(hooks);
  }, [controls, camera]);
  return null;
}
