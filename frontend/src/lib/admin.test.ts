import { describe, expect, it } from 'vitest';
import { embedSnippet, embedUrl } from './embedSnippet';
import { forgetLocalSaved, LOCAL_SAVED_KEY, LOCAL_SAVED_LIMIT, localSavedIds, rememberLocalSaved } from './localSaved';
import { describeOrigin, normalizeOrigin, parseOrigins } from './origins';
import { pointerPath, problemLines } from './problems';
import { hasRole } from './roles';

function memoryStore(initial: Record<string, string> = {}) {
  const data = new Map(Object.entries(initial));
  return {
    data,
    getItem: (key: string) => data.get(key) ?? null,
    setItem: (key: string, value: string) => { data.set(key, value); },
  };
}

describe('roles', () => {
  it('orders viewer < member < admin', () => {
    expect(hasRole('admin', 'admin')).toBe(true);
    expect(hasRole('admin', 'viewer')).toBe(true);
    expect(hasRole('member', 'admin')).toBe(false);
    expect(hasRole('member', 'member')).toBe(true);
    expect(hasRole('viewer', 'member')).toBe(false);
    expect(hasRole(null, 'viewer')).toBe(false);
    expect(hasRole(undefined, 'viewer')).toBe(false);
  });
});

describe('configurations saved in this browser', () => {
  it('keeps ids newest first, once each', () => {
    const store = memoryStore();
    expect(localSavedIds(store)).toEqual([]);
    rememberLocalSaved('a', store);
    rememberLocalSaved('b', store);
    rememberLocalSaved('a', store);
    expect(localSavedIds(store)).toEqual(['a', 'b']);
    forgetLocalSaved(['a', 'zzz'], store);
    expect(localSavedIds(store)).toEqual(['b']);
  });

  it('keeps at most the newest LOCAL_SAVED_LIMIT', () => {
    const store = memoryStore();
    for (let i = 0; i < LOCAL_SAVED_LIMIT + 5; i++) rememberLocalSaved(`id-${i}`, store);
    const ids = localSavedIds(store);
    expect(ids).toHaveLength(LOCAL_SAVED_LIMIT);
    expect(ids[0]).toBe(`id-${LOCAL_SAVED_LIMIT + 4}`);
  });

  it('reads damaged or foreign data as nothing, and survives storage that refuses', () => {
    expect(localSavedIds(memoryStore({ [LOCAL_SAVED_KEY]: '{not json' }))).toEqual([]);
    expect(localSavedIds(memoryStore({ [LOCAL_SAVED_KEY]: '{"a":1}' }))).toEqual([]);
    expect(localSavedIds(memoryStore({ [LOCAL_SAVED_KEY]: '["a", 3, null, "", "b", "a"]' }))).toEqual(['a', 'b']);
    const full = { getItem: () => null, setItem: () => { throw new Error('QuotaExceededError'); } };
    expect(rememberLocalSaved('a', full)).toBe(false);
    expect(rememberLocalSaved('a', null)).toBe(false);
    expect(localSavedIds(null)).toEqual([]);
  });
});

describe('embed snippet', () => {
  it('is the iframe of /embed/{product}?key=…', () => {
    expect(embedUrl('https://configurator.example/', 'p-1', 'pk_abc')).toBe('https://configurator.example/embed/p-1?key=pk_abc');
    expect(embedSnippet('https://configurator.example', 'p-1', 'Kitchen cabinet', 'pk_abc')).toBe(
      '<iframe src="https://configurator.example/embed/p-1?key=pk_abc" title="Kitchen cabinet configurator" width="100%" height="640" style="border:0" allow="fullscreen"></iframe>',
    );
  });

  it('escapes what would break out of an attribute', () => {
    const snippet = embedSnippet('https://c.example', 'p', 'Hood "Deluxe" <b> & co', 'pk_x');
    expect(snippet).toContain('title="Hood &quot;Deluxe&quot; &lt;b&gt; &amp; co configurator"');
  });
});

describe('allowed origins', () => {
  it('takes origins as browsers send them', () => {
    expect(normalizeOrigin('https://Shop.Example/').origin).toBe('https://shop.example');
    expect(normalizeOrigin('https://shop.example:443').origin).toBe('https://shop.example');
    expect(normalizeOrigin('http://localhost:5173').origin).toBe('http://localhost:5173');
  });

  it('refuses paths, other schemes, credentials, wildcards and non-addresses', () => {
    for (const text of ['https://shop.example/path', 'https://shop.example?x=1', 'ftp://shop.example', 'shop.example',
      'https://user:pw@shop.example', 'https://*.shop.example', 'javascript:alert(1)', '']) {
      expect(normalizeOrigin(text).origin, text).toBeNull();
    }
  });

  it('reads one a line, skipping blank lines and repeats, naming bad lines', () => {
    const parsed = parseOrigins('https://shop.example\n\nhttps://shop.example/\nhttps://shop.example/cart\r\nhttp://b.example:8080');
    expect(parsed.origins).toEqual(['https://shop.example', 'http://b.example:8080']);
    expect(parsed.problems).toEqual([{ line: 4, text: 'https://shop.example/cart', message: expect.stringMatching(/no path/) }]);
    expect(describeOrigin('self')).toBe('this server');
  });
});

describe('problem errors', () => {
  it('names the datablock, else the pointer\'s path', () => {
    expect(pointerPath('/allowed_origins/1')).toBe('allowed_origins › 1');
    expect(pointerPath('/a~1b/c~0d')).toBe('a/b › c~d');
    expect(pointerPath('')).toBeNull();
    expect(pointerPath(undefined)).toBeNull();
    expect(problemLines([
      { message: 'reads a file', code: 'FILE_NODE', location: "node tree 'GN' › node 'Image Texture'" },
      { message: 'too wide', code: null, pointer: '/width' },
      { message: 'broken' },
    ])).toEqual([
      { where: "node tree 'GN' › node 'Image Texture'", message: 'reads a file', code: 'FILE_NODE' },
      { where: 'width', message: 'too wide', code: null },
      { where: null, message: 'broken', code: null },
    ]);
  });
});
