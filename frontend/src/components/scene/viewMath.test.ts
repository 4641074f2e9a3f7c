import { PerspectiveCamera, Vector3 } from 'three';
import { describe, expect, it } from 'vitest';
import { IN_VIEW, modelExtent, placeCamera, shouldRefit, TURN_STEP, viewKeyAction, ZOOM_STEP } from './viewMath';

const SHOWROOM = new Vector3(0.55, 0.42, 1);

/** A camera of the viewer's field of view put where `placeCamera` says. */
function cameraAt(size: [number, number, number], aspect: number, direction = SHOWROOM) {
  const camera = new PerspectiveCamera(32, aspect, 0.01, 100);
  const place = placeCamera(size, camera.fov, aspect, direction);
  camera.position.copy(place.position);
  camera.lookAt(place.target);
  return { camera, place };
}

describe('viewKeyAction', () => {
  it('turns with the arrows, zooms with +/− and the Page keys, frames with 0 and Home', () => {
    expect(viewKeyAction({ key: 'ArrowLeft' })).toEqual({ kind: 'turn', left: TURN_STEP, up: 0 });
    expect(viewKeyAction({ key: 'ArrowDown' })).toEqual({ kind: 'turn', left: 0, up: -TURN_STEP });
    for (const key of ['+', '=', 'PageUp']) expect(viewKeyAction({ key })).toEqual({ kind: 'zoom', factor: ZOOM_STEP });
    for (const key of ['-', 'PageDown']) expect(viewKeyAction({ key })).toEqual({ kind: 'zoom', factor: 1 / ZOOM_STEP });
    expect(viewKeyAction({ key: '0' })).toEqual({ kind: 'reset' });
    expect(viewKeyAction({ key: 'Home' })).toEqual({ kind: 'reset' });
  });

  it('leaves Tab, Escape and the browser\'s combinations alone (no keyboard trap, page zoom still works)', () => {
    expect(viewKeyAction({ key: 'Tab' })).toBeNull();
    expect(viewKeyAction({ key: 'Escape' })).toBeNull();
    expect(viewKeyAction({ key: '+', ctrlKey: true })).toBeNull();
    expect(viewKeyAction({ key: 'ArrowLeft', altKey: true })).toBeNull();
    expect(viewKeyAction({ key: '0', metaKey: true })).toBeNull();
  });
});

describe('modelExtent and placeCamera', () => {
  it('a placed camera shows the whole model, wide or narrow', () => {
    for (const aspect of [0.6, 1, 1.3, 2.2]) {
      const { camera } = cameraAt([0.9, 1.3, 0.5], aspect);
      const extent = modelExtent(camera, [0.9, 1.3, 0.5], aspect);
      expect(extent).toBeGreaterThan(0.5);
      expect(extent).toBeLessThanOrEqual(IN_VIEW);
    }
  });

  it('a range hood whose chimney grew from 60 to 100 cm reaches out of the first view', () => {
    const { camera } = cameraAt([0.9, 0.9, 0.5], 2.2);
    expect(modelExtent(camera, [0.9, 0.9, 0.5], 2.2)).toBeLessThan(IN_VIEW);
    expect(modelExtent(camera, [0.9, 1.3, 0.5], 2.2)).toBeGreaterThan(IN_VIEW);
  });

  it('judges an aspect the camera does not have yet, and a corner behind the camera as out of view', () => {
    const { camera } = cameraAt([2, 0.8, 0.6], 2);
    expect(modelExtent(camera, [2, 0.8, 0.6], 2)).toBeLessThanOrEqual(IN_VIEW);
    expect(modelExtent(camera, [2, 0.8, 0.6], 0.4)).toBeGreaterThan(IN_VIEW);
    expect(modelExtent(camera, [40, 1, 40], 2)).toBe(Infinity);
  });

  it('keeps the direction it is given', () => {
    const { place } = cameraAt([1, 1, 1], 1, new Vector3(1, 0, 0));
    expect(place.position.y).toBeCloseTo(0.5);
    expect(place.position.z).toBeCloseTo(0);
    expect(place.position.x).toBeCloseTo(place.distance);
  });
});

describe('shouldRefit', () => {
  it('refits a model that fitted and no longer does', () => {
    expect(shouldRefit(0.77, 1.11, 2.85, 3.46)).toBe(true);
  });

  it('leaves a small change either way alone', () => {
    expect(shouldRefit(0.81, 0.79, 3.46, 3.38)).toBe(false);
    expect(shouldRefit(0.77, 0.8, 2.85, 2.95)).toBe(false);
  });

  it('comes closer to a model that shrank a lot', () => {
    expect(shouldRefit(0.81, 0.5, 3.46, 2.2)).toBe(true);
  });

  it('leaves a shopper who zoomed in past the edges where they are', () => {
    expect(shouldRefit(1.6, 2.1, 1.2, 3.46)).toBe(false);
    expect(shouldRefit(1.6, 0.9, 1.2, 0.7)).toBe(false);
  });
});
