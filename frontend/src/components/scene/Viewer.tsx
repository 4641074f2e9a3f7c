/** The 3D view of the configurator: studio light, contact shadow, orbit controls. The
 * camera is fitted to the first model only; later models replace it in place. */
import { memo, useCallback, useEffect, useLayoutEffect, useRef, useState } from 'react';
import { Canvas, addAfterEffect, useThree } from '@react-three/fiber';
import { ContactShadows, OrbitControls } from '@react-three/drei';
import type { PerspectiveCamera, Vector3 } from 'three';
import { antialiasIsCheap } from '../../lib/renderer';
import type { LoadedModel } from '../../services/modelLoader';
import { onPose } from '../../services/morphing';
import { frameModel, lightWithStudio, STUDIO_TONE_MAPPING } from './studio';

interface ViewerProps {
  model: LoadedModel | null;
  /** Changes when the user asks to frame the model again. */
  fitRequest: number;
  onDrawn(model: LoadedModel): void;
}

export function Viewer({ model, fitRequest, onDrawn }: ViewerProps) {
  // The contact shadow follows one frame after the model: a new model shows as soon as it
  // can be drawn, and the shadow passes (slow on software renderers) never delay it.
  const [shadowModel, setShadowModel] = useState<LoadedModel | null>(null);
  const drawn = useCallback((drawnModel: LoadedModel) => {
    onDrawn(drawnModel);
    setShadowModel(drawnModel);
  }, [onDrawn]);
  return (
    <Canvas
      className="viewer-canvas"
      frameloop="demand"
      dpr={[1, 2]}
      camera={{ fov: 32, near: 0.01, far: 100, position: [1.6, 1.3, 2.8] }}
      gl={{ antialias: antialiasIsCheap(), alpha: true, toneMapping: STUDIO_TONE_MAPPING }}
      aria-hidden="true"
    >
      <StudioLight />
      {model && <ModelView model={model} onDrawn={drawn} />}
      {shadowModel && <FloorShadow model={shadowModel} />}
      <OrbitControls makeDefault enableDamping dampingFactor={0.12} maxPolarAngle={Math.PI / 2 - 0.04} />
      <CameraFit model={model} fitRequest={fitRequest} />
    </Canvas>
  );
}

function StudioLight() {
  const gl = useThree((s) => s.gl);
  const scene = useThree((s) => s.scene);
  const invalidate = useThree((s) => s.invalidate);
  useEffect(() => {
    const undo = lightWithStudio(scene, gl);
    invalidate();
    return undo;
  }, [gl, scene, invalidate]);
  return <directionalLight position={[2.5, 4, 3]} intensity={0.6} />;
}

const pixel = new Uint8Array(4);

function ModelView({ model, onDrawn }: { model: LoadedModel; onDrawn(model: LoadedModel): void }) {
  const invalidate = useThree((s) => s.invalidate);
  const gl = useThree((s) => s.gl);
  useLayoutEffect(() => {
    let removeReport = () => undefined as void;
    /** Draw the next frame and report it once drawn. */
    const drawAndReport = () => {
      removeReport();
      let reported = false;
      const remove = addAfterEffect(() => {
        if (reported) return;
        reported = true;
        // Reading one pixel waits for the GPU to finish the frame: "drawn" means drawn,
        // not merely submitted. Once per new model or pose, so the stall costs little.
        const context = gl.getContext();
        context.readPixels(0, 0, 1, 1, context.RGBA, context.UNSIGNED_BYTE, pixel);
        onDrawn(model);
        queueMicrotask(remove);
      });
      removeReport = remove;
      invalidate();
    };
    drawAndReport();
    // A morph model posed for new values (during a drag) is drawn in the next frame,
    // without waiting for React to render anything.
    const stopPoses = onPose((posed) => { if (posed === model) drawAndReport(); });
    return () => {
      stopPoses();
      removeReport();
    };
  }, [model, onDrawn, invalidate, gl]);
  return <primitive object={model.object} />;
}

/** Contact shadow under the model, drawn once per model: drei draws `frames` frames after
 * each render of the component, so it is memoised to render only for a new model. Its
 * size steps in half metres, so its render targets are rarely reallocated. */
const FloorShadow = memo(function FloorShadow({ model }: { model: LoadedModel }) {
  const invalidate = useThree((s) => s.invalidate);
  useEffect(() => invalidate(), [model, invalidate]);
  const [width, height, depth] = model.size;
  const extent = Math.ceil((Math.max(width, depth) * 1.6 + 0.4) * 2) / 2;
  return (
    // Just below the floor: drei blurs the shadow on a plane at world y = 0, which must be
    // in front of the shadow camera looking up from the group's position.
    <ContactShadows
      position={[0, -0.001, 0]}
      scale={extent}
      far={Math.max(height, 0.5)}
      blur={2.2}
      opacity={0.55}
      resolution={512}
      frames={1}
      color="#1b2430"
    />
  );
});

/** What CameraFit needs of drei's OrbitControls (the default controls). */
interface OrbitTarget {
  target: Vector3;
  minDistance: number;
  maxDistance: number;
  update(): void;
}

function CameraFit({ model, fitRequest }: { model: LoadedModel | null; fitRequest: number }) {
  const camera = useThree((s) => s.camera) as PerspectiveCamera;
  const controls = useThree((s) => s.controls) as unknown as OrbitTarget | null;
  const size = useThree((s) => s.size);
  const invalidate = useThree((s) => s.invalidate);
  /** The fit request last carried out: a new model or a resize alone never moves the camera. */
  const fitted = useRef<number | null>(null);

  useEffect(() => {
    if (!model || !controls || fitted.current === fitRequest) return;
    fitted.current = fitRequest;
    const { target, radius, distance } = frameModel(camera, model.size, size.width / Math.max(size.height, 1));
    controls.target.copy(target);
    controls.minDistance = radius * 1.1;
    controls.maxDistance = distance * 4;
    controls.update();
    invalidate();
  }, [model, controls, fitRequest, camera, size, invalidate]);
  return null;
}
