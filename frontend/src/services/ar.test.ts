import { describe, expect, it } from 'vitest';
import { detectArViewer, quickLookHref, sceneViewerIntent } from './ar';

const IPHONE = 'Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1';
const PIXEL = 'Mozilla/5.0 (Linux; Android 15; Pixel 9) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36';
const DESKTOP = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';

const anchor = (ar: boolean) => ({ relList: { supports: (token: string) => ar && token === 'ar' } });

describe('detectArViewer', () => {
  it('finds Quick Look by the link feature, not the user agent (iPadOS asks as a Mac)', () => {
    expect(detectArViewer(anchor(true), IPHONE)).toBe('quick-look');
    expect(detectArViewer(anchor(true), 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) Safari/605.1.15')).toBe('quick-look');
    expect(detectArViewer(anchor(false), IPHONE)).toBeNull();
  });

  it('finds Scene Viewer on Android and nothing on a desktop', () => {
    expect(detectArViewer(anchor(false), PIXEL)).toBe('scene-viewer');
    expect(detectArViewer(anchor(false), DESKTOP)).toBeNull();
    expect(detectArViewer({}, DESKTOP)).toBeNull();
    expect(detectArViewer({ relList: { supports: () => { throw new TypeError('no'); } } }, DESKTOP)).toBeNull();
  });
});

describe('sceneViewerIntent', () => {
  const glb = 'https://shop.example/blobs/demo/glb/ab12.glb?expires=1800000000&signature=x-y_z';

  it('carries the absolute GLB URL whole, in AR first, at true size, with a way back', () => {
    const intent = sceneViewerIntent(glb, 'https://shop.example/configure/p1?c=eyJ3Ijox', 'Range hood');
    expect(intent.startsWith('intent://arvr.google.com/scene-viewer/1.2?')).toBe(true);
    const [link, extras] = intent.split('#Intent;');
    const query = new URLSearchParams(link.split('?').slice(1).join('?'));
    expect(query.get('file')).toBe(glb);
    expect(query.get('mode')).toBe('ar_preferred');
    expect(query.get('resizable')).toBe('false');
    expect(query.get('title')).toBe('Range hood');
    expect(extras).toContain('scheme=https;');
    expect(extras).toContain('action=android.intent.action.VIEW;');
    expect(extras).toMatch(/;end;$/);
    const fallback = /S\.browser_fallback_url=([^;]+);/.exec(extras)?.[1];
    expect(decodeURIComponent(fallback ?? '')).toBe('https://shop.example/configure/p1?c=eyJ3Ijox');
  });

  it('refuses a relative URL, which Scene Viewer could not fetch', () => {
    expect(() => sceneViewerIntent('/blobs/demo/glb/ab12.glb', 'https://shop.example/')).toThrow(/absolute/);
  });
});

describe('quickLookHref', () => {
  it('keeps the signed URL and turns scaling off', () => {
    expect(quickLookHref('https://a.example/x.usdz?sig=1')).toBe('https://a.example/x.usdz?sig=1#allowsContentScaling=0');
    expect(quickLookHref('https://a.example/x.usdz#old')).toBe('https://a.example/x.usdz#allowsContentScaling=0');
  });
});
