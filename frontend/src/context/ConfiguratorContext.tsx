/** State of the configurator page, one context per concern, so that a component re-renders
 * only when what it reads changes (a slider drag re-renders the controls, not the viewer):
 *
 * - `useConfiguredProduct()`: the product, its controls and what its link held (fixed);
 * - `useConfigValues()`: the values being edited;
 * - `useValidation()`: the rules they break and the server's messages about them;
 * - `useConfigActions()`: changing the values (functions that never change);
 * - `usePreview()`: the live preview (`useLivePreviewSession`).
 *
 * The URL's `?c=` mirrors the values (`useShareLink`), so the address bar is a share link
 * at every moment. */
import { createContext, useCallback, useContext, useEffect, useMemo, useRef, useState, type ReactNode } from 'react';
import { useLengthUnit } from '../hooks/useLengthUnit';
import { evaluateRules, sameViolations, type RuleViolation, type StandIn } from '../lib/rules';
import { controlsFromSchema, groupControls, type ControlDescriptor, type ControlGroup } from '../lib/schemaControls';
import { encodeConfig } from '../lib/shareLink';
import type { PreviewState } from '../services/livePreview';
import type { LoadedModel } from '../services/modelLoader';
import type { Product } from '../types/api';
import type { ConfigData, ConfigValue } from '../types/configSchema';
import { useLivePreviewSession, type ChangeMode } from './useLivePreviewSession';
import { useLinkedConfig, useShareLinkSync } from './useShareLink';

interface ConfiguredProduct {
  product: Product;
  controls: ControlDescriptor[];
  groups: ControlGroup[];
  /** Keys of the link's values that did not fit this product (shown once as a notice). */
  rejectedFromLink: string[];
}

interface ConfigValues {
  values: ConfigData;
  isDefault: boolean;
}

interface Validation {
  violations: RuleViolation[];
  /** Parameter key → the server's message, when it rejected the values (422). */
  fieldErrors: Record<string, string>;
}

interface ConfigActions {
  setValue(key: string, value: ConfigValue, mode?: ChangeMode): void;
  /** Replace several values at once (reset, rule fixes). */
  applyValues(patch: ConfigData): void;
}

interface Preview {
  preview: PreviewState;
  retryPreview(): void;
  modelDrawn(model: LoadedModel): void;
  /** While the values break a rule and no model of theirs was ever shown: what the viewer shows instead. */
  standIn: StandIn | null;
}

const ProductContext = createContext<ConfiguredProduct | null>(null);
const ValuesContext = createContext<ConfigValues | null>(null);
const ValidationContext = createContext<Validation | null>(null);
const ActionsContext = createContext<ConfigActions | null>(null);
const PreviewContext = createContext<Preview | null>(null);

function provided<T>(value: T | null, hook: string): T {
  if (!value) throw new Error(`${hook} outside <ConfiguratorProvider>`);
  return value;
}

export const useConfiguredProduct = () => provided(useContext(ProductContext), 'useConfiguredProduct');
export const useConfigValues = () => provided(useContext(ValuesContext), 'useConfigValues');
export const useValidation = () => provided(useContext(ValidationContext), 'useValidation');
export const useConfigActions = () => provided(useContext(ActionsContext), 'useConfigActions');
export const usePreview = () => provided(useContext(PreviewContext), 'usePreview');

const NO_FIELD_ERRORS: Record<string, string> = {};

export function ConfiguratorProvider({ product, children }: { product: Product; children: ReactNode }) {
  const schema = product.config_schema;
  // The provider is keyed by product: the link is read once, then the values lead.
  const initial = useLinkedConfig(schema);
  const [values, setValues] = useState<ConfigData>(initial.values);
  const valuesRef = useRef(values);
  // Lengths (fields and rule messages) are worded in the unit the shopper chose.
  const lengthUnit = useLengthUnit();
  const lengthUnitRef = useRef(lengthUnit);
  lengthUnitRef.current = lengthUnit;
  // Kept as state, not derived on each render, so that it is the same array while the same
  // rules are broken and what shows them does not re-render for every value.
  const [violations, setViolations] = useState(() => evaluateRules(schema, initial.values, lengthUnit));
  useEffect(() => {
    const found = evaluateRules(schema, valuesRef.current, lengthUnit);
    setViolations((shown) => (sameViolations(shown, found) ? shown : found));
  }, [schema, lengthUnit]);

  const controls = useMemo(() => controlsFromSchema(schema, lengthUnit), [schema, lengthUnit]);
  const groups = useMemo(() => groupControls(controls), [controls]);

  const { preview, send, flush, retryPreview, modelDrawn, standIn } = useLivePreviewSession(product.id, schema, valuesRef);

  const update = useCallback((next: ConfigData, mode: ChangeMode) => {
    const inputAt = performance.now();
    valuesRef.current = next;
    setValues(next);
    const found = evaluateRules(schema, next, lengthUnitRef.current);
    setViolations((shown) => (sameViolations(shown, found) ? shown : found));
    send(next, mode, inputAt);
  }, [schema, send]);

  const setValue = useCallback((key: string, value: ConfigValue, mode: ChangeMode = 'commit') => {
    if (valuesRef.current[key] === value) {
      if (mode === 'commit') flush(); // the end of a drag: send what is pending now
      return;
    }
    update({ ...valuesRef.current, [key]: value }, mode);
  }, [update, flush]);

  const applyValues = useCallback((patch: ConfigData) => update({ ...valuesRef.current, ...patch }, 'commit'), [update]);
  const loadLink = useCallback((linked: ConfigData) => update(linked, 'commit'), [update]);
  useShareLinkSync(schema, values, loadLink);

  const isDefault = useMemo(() => encodeConfig(schema, values) === '', [schema, values]);
  const fieldErrors = preview.error?.fields ?? NO_FIELD_ERRORS;

  const productValue = useMemo(
    () => ({ product, controls, groups, rejectedFromLink: initial.rejected }),
    [product, controls, groups, initial.rejected],
  );
  const valuesValue = useMemo(() => ({ values, isDefault }), [values, isDefault]);
  const validationValue = useMemo(() => ({ violations, fieldErrors }), [violations, fieldErrors]);
  const actionsValue = useMemo(() => ({ setValue, applyValues }), [setValue, applyValues]);
  const previewValue = useMemo(
    () => ({ preview, retryPreview, modelDrawn, standIn }),
    [preview, retryPreview, modelDrawn, standIn],
  );

  return (
    <ProductContext.Provider value={productValue}>
      <ActionsContext.Provider value={actionsValue}>
        <ValuesContext.Provider value={valuesValue}>
          <ValidationContext.Provider value={validationValue}>
            <PreviewContext.Provider value={previewValue}>{children}</PreviewContext.Provider>
          </ValidationContext.Provider>
        </ValuesContext.Provider>
      </ActionsContext.Provider>
    </ProductContext.Provider>
  );
}
