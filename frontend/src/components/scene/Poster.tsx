/** The product's server-rendered thumbnail (its default configuration, from the same camera
 * direction as the viewer: engine/blender/thumbnails.py) in the viewer's place until the
 * first frame of the model is drawn. It is the page's largest paint, and it is painted
 * before the 3D view exists: the canvas (its WebGL context, shaders and studio light, seconds
 * of work on a software renderer) is made only once the poster has been painted
 * (`onPainted`), so none of that work delays the first picture of the product.
 *
 * The server names the same files in a `<link rel="preload">` of the page
 * (server/routes/webapp.py POSTER_SIZES), so the image arrives beside the scripts. */
import { useCallback, useEffect, useRef } from 'react';
import { useConfigValues } from '../../context/ConfiguratorContext';
import { thumbnailImage } from '../../lib/thumbnails';
import type { Thumbnail } from '../../types/api';

/** The poster fills the stage's height (object-fit: contain): about 78vw on a phone, at most
 * 520 px wide elsewhere; the server's preload says the same, so both pick one file. */
export const POSTER_SIZES = '(max-width: 560px) 78vw, 520px';

interface PosterProps {
  thumbnails: readonly Thumbnail[] | null | undefined;
  /** False once the model is on screen. */
  visible: boolean;
  /** Once, when the poster has been painted, failed to load, or is not shown at all. */
  onPainted(): void;
}

export function Poster({ thumbnails, visible, onPainted }: PosterProps) {
  // The thumbnail shows the default configuration: another one (from a link, or changed
  // before the model arrived) is not shown as if it were it.
  const { isDefault } = useConfigValues();
  const image = thumbnailImage(thumbnails);
  const shown = visible && isDefault && image !== null;
  const reported = useRef(false);
  const report = useCallback(() => {
    if (reported.current) return;
    reported.current = true;
    afterNextPaint(onPainted);
  }, [onPainted]);
  useEffect(() => {
    if (!shown) report();
  }, [shown, report]);
  if (!shown) return null;
  return (
    <img className="preview-poster" src={image.src} srcSet={image.srcSet} sizes={POSTER_SIZES}
      width={image.width} height={image.height} alt="" fetchPriority="high" decoding="async"
      onLoad={report} onError={report} />
  );
}

/** `callback` after the browser has painted the next frame (a task queued from that frame's
 * animation callback runs after its paint). */
export function afterNextPaint(callback: () => void): void {
  requestAnimationFrame(() => setTimeout(callback, 0));
}
