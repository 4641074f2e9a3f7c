import { describe, expect, it } from 'vitest';
import { thumbnailImage } from './thumbnails';

const thumb = (width: number) => ({ url: `/blobs/c/thumbnails/${width}.webp?sig=1`, width, height: width, content_type: 'image/webp' });

describe('thumbnailImage', () => {
  it('gives no image until the server has rendered some', () => {
    expect(thumbnailImage(null)).toBeNull();
    expect(thumbnailImage(undefined)).toBeNull();
    expect(thumbnailImage([])).toBeNull();
  });

  it('offers every width in srcset, smallest first, with the smallest as src and its size', () => {
    const image = thumbnailImage([thumb(512), thumb(256)]);
    expect(image).toMatchObject({
      src: '/blobs/c/thumbnails/256.webp?sig=1',
      srcSet: '/blobs/c/thumbnails/256.webp?sig=1 256w, /blobs/c/thumbnails/512.webp?sig=1 512w',
      width: 256,
      height: 256,
    });
    expect(image?.sizes).toContain('100vw');
  });
});
