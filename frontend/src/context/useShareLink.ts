/** The address bar carries the configuration: `?c=` is the share link of the values at
 * every moment, and a link opened or navigated to sets them. */
import { useEffect, useRef, useState } from 'react';
import { useSearchParams } from 'react-router';
import { decodeConfig, encodeConfig, SHARE_PARAM, type DecodedConfig } from '../lib/shareLink';
import type { ConfigData, ConfigSchema } from '../types/configSchema';

const URL_DELAY_MS = 250;

/** The configuration of the link the page opened with. Read once: the values lead after that. */
export function useLinkedConfig(schema: ConfigSchema): DecodedConfig {
  const [searchParams] = useSearchParams();
  const [initial] = useState(() => decodeConfig(schema, searchParams.get(SHARE_PARAM)));
  return initial;
}

/** Keeps `?c=` and `values` in step: the address bar follows the values, and a link the page
 * did not write (back/forward, an edited address) is handed to `onLink`. */
export function useShareLinkSync(schema: ConfigSchema, values: ConfigData, onLink: (values: ConfigData) => void): void {
  const [searchParams, setSearchParams] = useSearchParams();
  const linkParam = searchParams.get(SHARE_PARAM);
  /** The `?c=` the app last wrote or read; any other value came from outside (back/forward). */
  const knownParam = useRef<string>(linkParam ?? '');

  // The address bar follows the values a moment after they settle (browsers limit how often
  // history may be rewritten), without adding history entries. Only new values write it.
  useEffect(() => {
    const encoded = encodeConfig(schema, values);
    if (encoded === knownParam.current) return;
    const timer = setTimeout(() => {
      knownParam.current = encoded;
      setSearchParams((params) => {
        const next = new URLSearchParams(params);
        if (encoded) next.set(SHARE_PARAM, encoded);
        else next.delete(SHARE_PARAM);
        return next;
      }, { replace: true });
    }, URL_DELAY_MS);
    return () => clearTimeout(timer);
  }, [schema, values, setSearchParams]);

  useEffect(() => {
    if ((linkParam ?? '') === knownParam.current) return;
    knownParam.current = linkParam ?? '';
    onLink(decodeConfig(schema, linkParam).values);
  }, [linkParam, schema, onLink]);
}
