/** A material choice: colour swatches (radios), the chosen name shown beside the label. */
import type { SwatchControl } from '../../lib/schemaControls';
import { RadioGroup } from './RadioGroup';
import type { ControlProps } from './types';

export function SwatchPicker({ control, ...field }: ControlProps<SwatchControl>) {
  return (
    <RadioGroup
      {...field}
      options={control.options}
      className="swatches"
      optionClassName="swatch"
      optionTitle={(option) => option.label}
      renderOption={(option) => (
        <>
          <span className="swatch-chip" style={{ background: option.color }} aria-hidden="true" />
          <span className="visually-hidden">{option.label}</span>
        </>
      )}
    />
  );
}
