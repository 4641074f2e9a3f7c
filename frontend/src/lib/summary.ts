/** What the save dialog shows before the shopper confirms: every option of the
 * configuration in words ("Width: 60 cm", "Door style: Shaker", "Lights: Yes"), grouped as
 * the fields are, and the size of the model. Pure, so the words are tested without a page. */
import type { ConfigData } from '../types/configSchema';
import { formatValue, groupControls, type ControlDescriptor, type ControlGroup } from './schemaControls';
import { formatLengthNumber, type LengthUnit } from './units';

export interface SummaryRow {
  key: string;
  label: string;
  value: string;
}

export interface SummarySection {
  id: ControlGroup['id'];
  title: string;
  rows: SummaryRow[];
}

/** One section per group of fields (Size, Options, Finish), one row per field, in their order. */
export function summarySections(controls: ControlDescriptor[], values: ConfigData): SummarySection[] {
  return groupControls(controls).map((group) => ({
    id: group.id,
    title: group.title,
    rows: group.controls.map((control) => ({
      key: control.key,
      label: control.label,
      value: formatValue(control, values[control.key] ?? control.defaultValue),
    })),
  }));
}

/** "W 60 × H 87 × D 58 cm": the model's width, height and depth (metres) in `lengthUnit`. */
export function dimensionsText(size: readonly [number, number, number] | readonly number[], lengthUnit: LengthUnit): string {
  const [w, h, d] = size.map((metres) => formatLengthNumber(metres, lengthUnit));
  return `W ${w} × H ${h} × D ${d} ${lengthUnit}`;
}
