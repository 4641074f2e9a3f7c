import { describe, expect, it } from 'vitest';
import { loginPath, safeNextPath } from './nextPath';

const ORIGIN = 'https://shop.example';

describe('next after login', () => {
  it('keeps a path of the app with its query and hash', () => {
    expect(safeNextPath('/saved', ORIGIN)).toBe('/saved');
    expect(safeNextPath('/configure/p1?c=eyJ3IjoxfQ#top', ORIGIN)).toBe('/configure/p1?c=eyJ3IjoxfQ#top');
    expect(safeNextPath('/a/../saved', ORIGIN)).toBe('/saved');
  });

  it('refuses anything that leaves the origin', () => {
    for (const raw of [
      'https://evil.example/', 'http://shop.example/saved', '//evil.example', '///evil.example', '/\\evil.example',
      '\\\\evil.example', '/\t/evil.example', '/\n/evil.example', 'javascript:alert(1)', 'data:text/html,x',
      'evil.example', ' /saved', '', null, undefined, `/${'a'.repeat(3000)}`,
    ]) {
      expect(safeNextPath(raw, ORIGIN), String(raw)).toBe('/');
    }
  });

  it('never goes back to the login page, and takes a fallback', () => {
    expect(safeNextPath('/login', ORIGIN)).toBe('/');
    expect(safeNextPath('/login?next=/saved', ORIGIN)).toBe('/');
    expect(safeNextPath('//evil.example', ORIGIN, '/saved')).toBe('/saved');
    expect(safeNextPath('/loginhelp', ORIGIN)).toBe('/loginhelp');
  });

  it('builds the login link of the current page', () => {
    expect(loginPath('/configure/p1?c=x')).toBe('/login?next=%2Fconfigure%2Fp1%3Fc%3Dx');
    expect(loginPath('/')).toBe('/login');
    expect(loginPath('/login?next=/saved')).toBe('/login');
  });
});
