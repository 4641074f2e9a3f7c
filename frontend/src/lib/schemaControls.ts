/** The product's JSON Schema → descriptors of the controls that edit it. Pure: the React
 * controls only render what these say. */
import type { ConfigSchema, ConfigValue, PropertySchema } from '../types/configSchema';
import { defaultValue, schemaTypes } from './values';
import { DEFAULT_LENGTH_UNIT, formatDisplay, isLength, numberDisplayUnit, type DisplayUnit, type LengthUnit } from './units';

interface BaseControl {
  key: string;
  label: string;
  description: string;
  defaultValue: ConfigValue;
}

export interface NumberControl extends BaseControl {
  kind: 'number';
  minimum?: number;
  maximum?: number;
  unit: DisplayUnit;
  /** A slider needs both bounds. */
  slider: boolean;
  /** The schema's `x-unit` (values are sent in it), e.g. 'm'. */
  schemaUnit?: string;
  /** A length in metres, shown in the shopper's length unit. */
  length: boolean;
}

export interface IntegerControl extends BaseControl {
  kind: 'integer';
  minimum?: number;
  maximum?: number;
  step: number;
}

export interface ChoiceOption {
  value: ConfigValue;
  label: string;
}

export interface ChoiceControl extends BaseControl {
  kind: 'choice';
  options: ChoiceOption[];
  /** Few short options as segmented buttons, otherwise a select. */
  display: 'segmented' | 'select';
}

export interface SwatchOption extends ChoiceOption {
  color: string;
}

export interface SwatchControl extends BaseControl {
  kind: 'swatch';
  options: SwatchOption[];
}

export interface ColorControl extends BaseControl {
  kind: 'color';
}

export interface ToggleControl extends BaseControl {
  kind: 'toggle';
}

export interface TextControl extends BaseControl {
  kind: 'text';
  pattern?: string;
  maxLength?: number;
}

export type ControlDescriptor =
  | NumberControl
  | IntegerControl
  | ChoiceControl
  | SwatchControl
  | ColorControl
  | ToggleControl
  | TextControl;

export interface ControlGroup {
  id: 'size' | 'options' | 'finish';
  title: string;
  controls: ControlDescriptor[];
}

const SEGMENTED_MAX_OPTIONS = 4;
const SEGMENTED_MAX_CHARS = 30;
const FALLBACK_SWATCH = '#9a9a9a';

/** "door_count" → "Door count" when the schema gives no title. */
export function titleFromKey(key: string): string {
  const words = key.replace(/[_-]+/g, ' ').trim();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

/** "Shelf Count" → "Shelf count": the first word's capital kept, and words written in
 * capitals ("GLB", "LED") or mixed case ("iPad") kept as written. */
export function sentenceCase(text: string): string {
  const words = text.trim().split(/(\s+)/);
  return words
    .map((word, i) => {
      if (i === 0) return word.charAt(0).toUpperCase() + word.slice(1);
      return /^[A-Z][a-z]*$/.test(word) || /^[A-Z][a-z]+[-'][a-z]+$/.test(word) ? word.toLowerCase() : word;
    })
    .join('');
}

/** What a parameter is called for a customer: the schema's title in sentence case, else one built from the key. */
export function labelFor(key: string, prop: Pick<PropertySchema, 'title'> | undefined): string {
  return prop?.title?.trim() ? sentenceCase(prop.title) : titleFromKey(key);
}

/** `lengthUnit`: the length unit the shopper chose; lengths in metres are shown in it. */
export function controlFor(key: string, prop: PropertySchema, lengthUnit: LengthUnit = DEFAULT_LENGTH_UNIT): ControlDescriptor | null {
  const base: BaseControl = {
    key,
    label: labelFor(key, prop),
    description: prop.description ?? '',
    defaultValue: defaultValue(prop),
  };
  const types = schemaTypes(prop);
  const kind = prop['x-kind'];

  if (prop.enum && prop.enum.length > 0) {
    const swatches = prop['x-swatches'];
    if (kind === 'material' || swatches) {
      return {
        ...base,
        kind: 'swatch',
        options: prop.enum.map((value) => ({
          value,
          label: String(value),
          color: swatches?.[String(value)] ?? FALLBACK_SWATCH,
        })),
      };
    }
    const options = prop.enum.map((value) => ({ value, label: String(value) }));
    const chars = options.reduce((n, o) => n + o.label.length, 0);
    const segmented = options.length <= SEGMENTED_MAX_OPTIONS && chars <= SEGMENTED_MAX_CHARS;
    return { ...base, kind: 'choice', options, display: segmented ? 'segmented' : 'select' };
  }
  if (types.includes('boolean')) return { ...base, kind: 'toggle' };
  if (types.includes('integer')) {
    return { ...base, kind: 'integer', minimum: prop.minimum, maximum: prop.maximum, step: prop.multipleOf ?? 1 };
  }
  if (types.includes('number')) {
    const slider = prop.minimum !== undefined && prop.maximum !== undefined;
    return {
      ...base,
      kind: 'number',
      minimum: prop.minimum,
      maximum: prop.maximum,
      unit: numberDisplayUnit(prop, lengthUnit),
      slider,
      schemaUnit: prop['x-unit'],
      length: isLength(prop),
    };
  }
  if (types.includes('string')) {
    if (kind === 'color') return { ...base, kind: 'color' };
    return { ...base, kind: 'text', pattern: prop.pattern, maxLength: prop.maxLength };
  }
  return null; // objects and arrays are not template parameters
}

/** One descriptor per property, in the schema's (authored) order. */
export function controlsFromSchema(schema: ConfigSchema, lengthUnit: LengthUnit = DEFAULT_LENGTH_UNIT): ControlDescriptor[] {
  const out: ControlDescriptor[] = [];
  for (const [key, prop] of Object.entries(schema.properties ?? {})) {
    const control = controlFor(key, prop, lengthUnit);
    if (control) out.push(control);
  }
  return out;
}

function groupOf(control: ControlDescriptor): ControlGroup['id'] {
  if (control.kind === 'number' && control.length) return 'size';
  if (control.kind === 'swatch' || control.kind === 'color') return 'finish';
  return 'options';
}

const GROUP_TITLES: Record<ControlGroup['id'], string> = { size: 'Size', options: 'Options', finish: 'Finish' };

/** Size, then options, then finishes; authored order inside each; empty groups left out. */
export function groupControls(controls: ControlDescriptor[]): ControlGroup[] {
  return (['size', 'options', 'finish'] as const)
    .map((id) => ({ id, title: GROUP_TITLES[id], controls: controls.filter((c) => groupOf(c) === id) }))
    .filter((g) => g.controls.length > 0);
}

/** A value as a customer reads it: "80 cm", "Oak", "Yes". Any JSON value of a saved
 * configuration can be shown, not only one that fits the control. */
export function formatValue(control: ControlDescriptor, value: unknown): string {
  switch (control.kind) {
    case 'number':
      return typeof value === 'number' ? formatDisplay(value, control.unit) : String(value);
    case 'toggle':
      return value ? 'Yes' : 'No';
    case 'color':
      return String(value).toLowerCase();
    default:
      return String(value);
  }
}
