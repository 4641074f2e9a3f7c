/** Image URL of a product's preview GLB, drawn once by the shared thumbnail renderer. */
import { useEffect, useState } from 'react';

export function useThumbnail(glbUrl: string | null | undefined): { src: string | null; failed: boolean } {
  const [result, setResult] = useState<{ url: string; src: string | null; failed: boolean } | null>(null);
  useEffect(() => {
    if (!glbUrl) return;
    let live = true;
    // three.js loads with the thumbnail renderer, after the catalogue's text is on screen.
    import('../components/scene/thumbnails').then((m) => m.thumbnailFor(glbUrl)).then(
      (src) => live && setResult({ url: glbUrl, src, failed: false }),
      () => live && setResult({ url: glbUrl, src: null, failed: true }),
    );
    return () => { live = false; };
  }, [glbUrl]);
  if (!glbUrl || result?.url !== glbUrl) return { src: null, failed: false };
  return { src: result.src, failed: result.failed };
}
