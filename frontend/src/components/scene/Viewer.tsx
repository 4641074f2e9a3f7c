/** The 3D view of the configurator: studio light, contact shadow, orbit controls, and the
 * keyboard, wheel and camera fitting of ./ViewControls. Later models replace the first in
 * place; the camera moves only when one no longer fits. */
import { memo, useCallback, useEffect, useLayoutEffect, useRef, useState } from 'react';
import { Canvas, addAfterEffect, useThree } from '@react-three/fiber';
import { ContactShadows, OrbitControls } from '@react-three/drei';
import { viewerBudget } from '../../lib/renderer';
import type { LoadedModel } from '../../services/modelLoader';
import { onPose } from '../../services/morphing';
import { lightWithStudio, STUDIO_TONE_MAPPING } from './studio';
import { ViewControls, ViewFrame, type ViewHandle } from './ViewControls';

interface ViewerProps {
  model: LoadedModel | null;
  /** Changes when the user asks to frame the model again. */
  fitRequest: number;
  /** The model's size as drawn, when it is not `model.size` (a morph GLB posed for other values). */
  shownSize?: readonly [number, number, number] | null;
  onDrawn(model: LoadedModel): void;
}

export function Viewer({ model, fitRequest, shownSize, onDrawn }: ViewerProps) {
  // The contact shadow follows one frame after the model: a new model shows as soon as it
  // can be drawn, and the shadow passes (slow on software renderers) never delay it.
  const [shadowModel, setShadowModel] = useState<LoadedModel | null>(null);
  const drawn = useCallback((drawnModel: LoadedModel) => {
    onDrawn(drawnModel);
    setShadowModel(drawnModel);
  }, [onDrawn]);
  const view = useRef<ViewHandle | null>(null);
  return (
    <ViewFrame handle={view} label="3D view of the model">
      <Canvas
        className="viewer-canvas"
        frameloop="demand"
        dpr={viewerBudget().dpr}
        camera={{ fov: 32, near: 0.01, far: 100, position: [1.6, 1.3, 2.8] }}
        gl={{ antialias: viewerBudget().antialias, alpha: true, toneMapping: STUDIO_TONE_MAPPING }}
        aria-hidden="true"
      >
        <StudioLight />
        {model && <ModelView model={model} onDrawn={drawn} />}
        {shadowModel && <FloorShadow model={shadowModel} />}
        <OrbitControls makeDefault enableDamping dampingFactor={0.12} maxPolarAngle={Math.PI / 2 - 0.04} />
        <ViewControls size={model ? (shownSize ?? model.size) : null} fitRequest={fitRequest} handle={view} />
      </Canvas>
    </ViewFrame>
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
  return model.object && <primitive object={model.object} />;
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
      resolution={viewerBudget().shadowResolution}
      frames={1}
      color="#1b2430"
    />
  );
});
