/** How a number parameter is shown: lengths authored in metres are shown in cm (mm for
 * small parts), and every value is rounded to what the control can express. Values sent
 * to the API stay in the schema's unit. */

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

/** Whether a number property holds a 0–1 fraction a customer reads as a percentage:
 * `x-format: "percent"` or `x-unit: "fraction"` say so; otherwise a number with
 * `minimum` 0, `maximum` 1 and no `x-unit` is taken as one (a Blender FACTOR such as a
 * handle's position along the door). `x-unit: "%"` means the values are percentages
 * already and they are shown as they are. */
export function isFraction(prop: { 'x-unit'?: string; 'x-format'?: string; minimum?: number; maximum?: number }): boolean {
  if (prop['x-format'] === 'percent' || prop['x-unit'] === 'fraction') return true;
  if (prop['x-format'] !== undefined || prop['x-unit'] !== undefined) return false;
  return prop.minimum === 0 && prop.maximum === 1;
}

/** Pick the unit for a number property. `unit` is the schema's `x-unit`. */
export function displayUnitFor(unit: string | undefined, minimum?: number, maximum?: number, integer = false): DisplayUnit {
  if (integer) return { symbol: unit ?? '', factor: 1, decimals: 0, sliderStep: 1 };
  if (unit === 'm') {
    const mm = maximum !== undefined && maximum <= SMALL_LENGTH_M;
    const factor = mm ? 1000 : 100;
    // 1 mm precision in cm, 0.1 mm in mm: finer than anything a workshop cuts.
    const decimals = 1;
    const span = minimum !== undefined && maximum !== undefined ? (maximum - minimum) * factor : 100;
    const sliderStep = Math.max(niceStep(span / 100), 10 ** -decimals);
    return { symbol: mm ? 'mm' : 'cm', factor, decimals, sliderStep };
  }
  const span = minimum !== undefined && maximum !== undefined ? maximum - minimum : 100;
  const sliderStep = niceStep(span / 100);
  return { symbol: unit ?? '', factor: 1, decimals: decimalsOf(sliderStep), sliderStep };
}

/** Schema value → display value (rounded to the unit's decimals). */
export function toDisplay(value: number, unit: DisplayUnit): number {
  return roundTo(value * unit.factor, unit.decimals);
}

/** Display value → schema value, without float noise (80 cm → 0.8, not 0.8000000000000002). */
export function fromDisplay(display: number, unit: DisplayUnit): number {
  return roundTo(display / unit.factor, unit.decimals + Math.round(Math.log10(unit.factor)));
}

/** "80 cm", "12.5 mm", "50%", "0.75". Trailing zeros dropped. */
export function formatDisplay(value: number, unit: DisplayUnit): string {
  const shown = toDisplay(value, unit);
  const text = Number.isInteger(shown) ? String(shown) : shown.toFixed(unit.decimals).replace(/0+$/, '').replace(/\.$/, '');
  if (unit.symbol === '%') return `${text}%`;
  return unit.symbol ? `${text} ${unit.symbol}` : text;
}

const CENTIMETRES: DisplayUnit = { symbol: '', factor: 100, decimals: 1, sliderStep: 1 };

/** Metres → "80", "80.5" (cm, for dimension read-outs). */
export function formatCentimetres(metres: number): string {
  return formatDisplay(metres, CENTIMETRES);
}
