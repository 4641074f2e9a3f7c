/** The `<img>` attributes of a product's server-rendered thumbnails: the smallest as `src`, every
 * width in `srcSet` so the browser picks by the card's width and the screen's density, and the
 * intrinsic size so the card keeps its place before the image arrives. */
import type { Thumbnail } from '../types/api';

/** The card is the full width of a phone (minus the page's padding), else a grid column. The
 * server's preload of the first card's image (server/routes/webapp.py CARD_SIZES) says the
 * same, so the browser picks the same file for both and fetches it once. */
export const CARD_SIZES = '(max-width: 640px) calc(100vw - 32px), 360px';

export interface ThumbnailImage {
  src: string;
  srcSet: string;
  sizes: string;
  width: number;
  height: number;
}

export function thumbnailImage(thumbnails: readonly Thumbnail[] | null | undefined): ThumbnailImage | null {
  if (!thumbnails || thumbnails.length === 0) return null;
  const bySize = [...thumbnails].sort((a, b) => a.width - b.width);
  const smallest = bySize[0];
  return {
    src: smallest.url,
    srcSet: bySize.map((t) => `${t.url} ${t.width}w`).join(', '),
    sizes: CARD_SIZES,
    width: smallest.width,
    height: smallest.height,
  };
}
