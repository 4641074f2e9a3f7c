/** How a number parameter is shown: lengths authored in metres in the shopper's length unit
 * (cm — with mm for small parts —, mm or inches), shares as %, angles in degrees, and every
 * value rounded to what the control can express. The template's `x-format` says which a
 * number is; values sent to the API stay in the schema's unit. */

export interface DisplayUnit {
  /** Shown after the value; '' for unitless numbers. */
  symbol: string;
  /** Display value = schema value × factor. */
  factor: number;
  /** Decimals shown in the numeric field (its step is 10^-decimals). */
  decimals: number;
  /** Step of the slider, in display units. */
  sliderStep: number;
}

const SMALL_LENGTH_M = 0.1;

/** The smallest of 1, 2, 5 × 10^k that is at least `raw`. */
export function niceStep(raw: number): number {
  if (!(raw > 0) || !Number.isFinite(raw)) return 1;
  const power = 10 ** Math.floor(Math.log10(raw));
  for (const m of [1, 2, 5, 10]) {
    if (m * power >= raw - 1e-12) return roundTo(m * power, 12);
  }
  return 10 * power;
}

export function decimalsOf(step: number): number {
  if (step >= 1) return 0;
  return Math.max(0, Math.ceil(-Math.log10(step) - 1e-9));
}

export function roundTo(value: number, decimals: number): number {
  const f = 10 ** decimals;
  return Math.round(value * f) / f;
}

/** A 0–1 fraction shown as 0–100 %: 0.5 → "50%". Values sent stay fractions. */
export const PERCENT_OF_FRACTION: DisplayUnit = { symbol: '%', factor: 100, decimals: 0, sliderStep: 1 };

/** Radians (as Blender holds angles) shown in whole degrees. */
export const DEGREES: DisplayUnit = { symbol: '°', factor: 180 / Math.PI, decimals: 0, sliderStep: 1 };

/** The length units a shopper can choose between. */
export type LengthUnit = 'cm' | 'mm' | 'in';
export const LENGTH_UNITS: readonly { id: LengthUnit; label: string; name: string }[] = [
  { id: 'cm', label: 'cm', name: 'centimetres' },
  { id: 'mm', label: 'mm', name: 'millimetres' },
  { id: 'in', label: 'in', name: 'inches' },
];
export const DEFAULT_LENGTH_UNIT: LengthUnit = 'cm';

export function isLengthUnit(value: unknown): value is LengthUnit {
  return LENGTH_UNITS.some((u) => u.id === value);
}

const METRES_PER_INCH = 0.0254;

/** Whether a number property holds a 0–1 fraction a customer reads as a percentage:
 * the template says so with `x-format: "percent"` (or `x-unit: "fraction"`). A 0–1 range
 * alone says nothing: a 0–1 m shelf depth or a 0–1 gloss level is not a share. */
export function isFraction(prop: { 'x-unit'?: string; 'x-format'?: string }): boolean {
  return prop['x-format'] === 'percent' || prop['x-unit'] === 'fraction';
}

/** Whether a number property is a length in metres (shown in the shopper's length unit). */
export function isLength(prop: { 'x-unit'?: string; 'x-format'?: string }): boolean {
  if (prop['x-format'] !== undefined && prop['x-format'] !== 'length') return false;
  return prop['x-format'] === 'length' || prop['x-unit'] === 'm';
}

/** A length in metres in `lengthUnit`. The precision is a millimetre (a tenth of one for
 * small parts, at most 10 cm): finer than anything a workshop cuts. In cm, small parts are
 * shown in mm, as joiners write them. */
export function lengthDisplayUnit(lengthUnit: LengthUnit, minimum?: number, maximum?: number): DisplayUnit {
  const small = maximum !== undefined && maximum <= SMALL_LENGTH_M;
  const shownIn = lengthUnit === 'cm' && small ? 'mm' : lengthUnit;
  const factor = shownIn === 'in' ? 1 / METRES_PER_INCH : shownIn === 'mm' ? 1000 : 100;
  // 1 mm is 0.1 cm, 1 mm, 0.04 in; a tenth of that for small parts.
  const decimals = (shownIn === 'cm' ? 1 : shownIn === 'mm' ? 0 : 2) + (small ? 1 : 0);
  const span = minimum !== undefined && maximum !== undefined ? (maximum - minimum) * factor : 100;
  const sliderStep = Math.max(niceStep(span / 100), 10 ** -decimals);
  return { symbol: shownIn, factor, decimals, sliderStep };
}

/** Pick the unit for a number property. `unit` is the schema's `x-unit`. */
export function displayUnitFor(unit: string | undefined, minimum?: number, maximum?: number,
  integer = false): DisplayUnit {
  if (integer) return { symbol: unit ?? '', factor: 1, decimals: 0, sliderStep: 1 };
  if (unit === 'm') return lengthDisplayUnit(DEFAULT_LENGTH_UNIT, minimum, maximum);
  const span = minimum !== undefined && maximum !== undefined ? maximum - minimum : 100;
  const sliderStep = niceStep(span / 100);
  return { symbol: unit ?? '', factor: 1, decimals: decimalsOf(sliderStep), sliderStep };
}

/** The unit a number property is shown in, from its `x-format` (and `x-unit`). */
export function numberDisplayUnit(
  prop: { 'x-unit'?: string; 'x-format'?: string; minimum?: number; maximum?: number },
  lengthUnit: LengthUnit = DEFAULT_LENGTH_UNIT,
): DisplayUnit {
  if (isFraction(prop)) return PERCENT_OF_FRACTION;
  if (prop['x-format'] === 'angle') return DEGREES;
  if (isLength(prop)) return lengthDisplayUnit(lengthUnit, prop.minimum, prop.maximum);
  if (prop['x-format'] === 'plain') return displayUnitFor(undefined, prop.minimum, prop.maximum);
  return displayUnitFor(prop['x-unit'], prop.minimum, prop.maximum);
}

/** Schema value → display value (rounded to the unit's decimals). */
export function toDisplay(value: number, unit: DisplayUnit): number {
  return roundTo(value * unit.factor, unit.decimals);
}

/** Display value → schema value, without float noise (80 cm → 0.8, not 0.8000000000000002).
 * A factor that is not a power of ten (inches, degrees) keeps a digit more than the display
 * needs, so a value shown, sent and shown again reads the same. */
export function fromDisplay(display: number, unit: DisplayUnit): number {
  const digits = Math.log10(unit.factor);
  const extra = Math.abs(digits - Math.round(digits)) < 1e-9 ? Math.round(digits) : Math.ceil(digits) + 1;
  return roundTo(display / unit.factor, unit.decimals + extra);
}

/** `fromDisplay`, landing exactly on a bound when the display value is the bound's (the
 * slider's end in inches is 47.24, which is 1.199896 m, not the 1.2 m maximum). */
export function fromDisplayWithin(display: number, unit: DisplayUnit, minimum?: number, maximum?: number): number {
  if (minimum !== undefined && display === toDisplay(minimum, unit)) return minimum;
  if (maximum !== undefined && display === toDisplay(maximum, unit)) return maximum;
  return fromDisplay(display, unit);
}

/** "80 cm", "12.5 mm", "50%", "0.75". Trailing zeros dropped. */
export function formatDisplay(value: number, unit: DisplayUnit): string {
  const shown = toDisplay(value, unit);
  const text = Number.isInteger(shown) ? String(shown) : shown.toFixed(unit.decimals).replace(/0+$/, '').replace(/\.$/, '');
  if (unit.symbol === '%' || unit.symbol === '°') return `${text}${unit.symbol}`;
  return unit.symbol ? `${text} ${unit.symbol}` : text;
}

/** Metres → the number of a dimension read-out in `lengthUnit` ("80.5" cm, "805" mm,
 * "31.7" in), one decimal fewer than a field: a read-out is for reading, not for cutting. */
export function formatLengthNumber(metres: number, lengthUnit: LengthUnit): string {
  const unit = lengthDisplayUnit(lengthUnit);
  return formatDisplay(metres, { ...unit, symbol: '', decimals: lengthUnit === 'in' ? 1 : unit.decimals });
}
