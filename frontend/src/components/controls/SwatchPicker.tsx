/** A material choice: colour swatches (radios), the chosen name shown beside the label. */
import type { SwatchControl } from '../../lib/schemaControls';
import type { ControlProps } from './types';

export function SwatchPicker({ control, id, value, onChange, invalid, describedBy }: ControlProps<SwatchControl>) {
  return (
    <div className={`swatches${invalid ? ' is-invalid' : ''}`} role="radiogroup" aria-labelledby={`${id}-label`} aria-describedby={describedBy}>
      {control.options.map((option, i) => (
        <label key={String(option.value)} className="swatch" title={option.label}>
          <input
            type="radio"
            name={id}
            id={i === 0 ? id : undefined}
            checked={option.value === value}
            onChange={() => onChange(option.value, 'commit')}
          />
          <span className="swatch-chip" style={{ background: option.color }} aria-hidden="true" />
          <span className="visually-hidden">{option.label}</span>
        </label>
      ))}
    </div>
  );
}
