/** State of the configurator page: the product, the values being edited, the rules they
 * break, and the live preview. The URL's `?c=` always mirrors the values, so the address
 * bar is a share link at every moment. */
import { createContext, useCallback, useContext, useEffect, useMemo, useRef, useState, type ReactNode } from 'react';
import { useSearchParams } from 'react-router';
import type { Product } from '../types/api';
import type { ConfigData, ConfigValue } from '../types/configSchema';
import { createDebouncer } from '../lib/debounce';
import { evaluateRules, type RuleViolation } from '../lib/rules';
import { controlsFromSchema, groupControls, type ControlDescriptor, type ControlGroup } from '../lib/schemaControls';
import { decodeConfig, encodeConfig, SHARE_PARAM } from '../lib/shareLink';
import { nonDefaultValues } from '../lib/values';
import { LivePreview, type PreviewState } from '../services/livePreview';
import type { LoadedModel } from '../services/modelLoader';
import { exposeForTests } from '../lib/testHooks';

/** 'drag': a continuous change (slider move), debounced; 'commit': a finished one, sent at once. */
export type ChangeMode = 'drag' | 'commit';

const DEBOUNCE_MS = 150;
const MAX_WAIT_MS = 400;
const URL_DELAY_MS = 250;

interface ConfiguratorValue {
  product: Product;
  controls: ControlDescriptor[];
  groups: ControlGroup[];
  values: ConfigData;
  setValue(key: string, value: ConfigValue, mode?: ChangeMode): void;
  /** Replace several values at once (reset, rule fixes). */
  applyValues(patch: ConfigData): void;
  violations: RuleViolation[];
  /** Keys of the link's values that did not fit this product (shown once as a notice). */
  rejectedFromLink: string[];
  preview: PreviewState;
  retryPreview(): void;
  modelDrawn(model: LoadedModel): void;
  isDefault: boolean;
}

const ConfiguratorContext = createContext<ConfiguratorValue | null>(null);

export function useConfigurator(): ConfiguratorValue {
  const value = useContext(ConfiguratorContext);
  if (!value) throw new Error('useConfigurator outside <ConfiguratorProvider>');
  return value;
}

export function ConfiguratorProvider({ product, children }: { product: Product; children: ReactNode }) {
  const schema = product.config_schema;
  const [searchParams, setSearchParams] = useSearchParams();
  const linkParam = searchParams.get(SHARE_PARAM);
  // The provider is keyed by product: the link is read once, then the values lead.
  const [initial] = useState(() => decodeConfig(schema, linkParam));
  const [values, setValues] = useState<ConfigData>(initial.values);
  const valuesRef = useRef(values);
  /** The `?c=` the app last wrote or read; any other value came from outside (back/forward). */
  const knownParam = useRef<string>(linkParam ?? '');

  const controls = useMemo(() => controlsFromSchema(schema), [schema]);
  const groups = useMemo(() => groupControls(controls), [controls]);
  const violations = useMemo(() => evaluateRules(schema, values), [schema, values]);

  const [preview, setPreview] = useState<PreviewState>({ phase: 'idle', progress: 0, model: null, error: null });
  const previewRef = useRef<LivePreview | null>(null);
  const debouncer = useMemo(() => createDebouncer(DEBOUNCE_MS, MAX_WAIT_MS), []);

  const send = useCallback((next: ConfigData, mode: ChangeMode, inputAt: number) => {
    const live = previewRef.current;
    if (!live) return;
    if (evaluateRules(schema, next).length > 0) {
      debouncer.cancel();
      live.block();
      return;
    }
    // Only the changed values go to the server, which fills in the defaults itself: its
    // cache key then matches the product preview's (JSON from a browser writes 1.0 as 1).
    const changed = nonDefaultValues(schema, next);
    if (mode === 'drag') {
      debouncer.schedule(() => live.request(changed, inputAt));
    } else {
      debouncer.cancel();
      live.request(changed, inputAt);
    }
  }, [schema, debouncer]);

  // One preview per product; the first request shows the values the page opened with.
  useEffect(() => {
    const live = new LivePreview(product.id, setPreview);
    previewRef.current = live;
    setPreview(live.getState());
    send(valuesRef.current, 'commit', performance.now());
    return () => {
      debouncer.cancel();
      live.dispose();
      previewRef.current = null;
    };
  }, [product.id, send, debouncer]);

  const update = useCallback((next: ConfigData, mode: ChangeMode) => {
    const inputAt = performance.now();
    valuesRef.current = next;
    setValues(next);
    send(next, mode, inputAt);
  }, [send]);

  const setValue = useCallback((key: string, value: ConfigValue, mode: ChangeMode = 'commit') => {
    if (valuesRef.current[key] === value) {
      if (mode === 'commit') debouncer.flush(); // the end of a drag: send what is pending now
      return;
    }
    update({ ...valuesRef.current, [key]: value }, mode);
  }, [update, debouncer]);

  const applyValues = useCallback((patch: ConfigData) => update({ ...valuesRef.current, ...patch }, 'commit'), [update]);

  // The address bar follows the values, a moment after they settle (browsers limit how
  // often history may be rewritten) and without adding history entries. Only a change of
  // the values writes: `knownParam` is what the address bar has (or is about to have).
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

  // A link the page did not write (back/forward, an edited address): load its values.
  useEffect(() => {
    if ((linkParam ?? '') === knownParam.current) return;
    knownParam.current = linkParam ?? '';
    update(decodeConfig(schema, linkParam).values, 'commit');
  }, [linkParam, schema, update]);

  useEffect(() => exposeForTests(() => previewRef.current), []);

  const retryPreview = useCallback(() => previewRef.current?.retry(), []);
  const modelDrawn = useCallback((model: LoadedModel) => previewRef.current?.markDrawn(model), []);

  const value: ConfiguratorValue = {
    product,
    controls,
    groups,
    values,
    setValue,
    applyValues,
    violations,
    rejectedFromLink: initial.rejected,
    preview,
    retryPreview,
    modelDrawn,
    isDefault: encodeConfig(schema, values) === '',
  };
  return <ConfiguratorContext.Provider value={value}>{children}</ConfiguratorContext.Provider>;
}
