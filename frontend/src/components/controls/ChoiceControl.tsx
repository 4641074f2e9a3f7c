/** An enum: segmented buttons (native radios, so arrow keys work) or a select. */
import type { ChoiceControl as ChoiceDescriptor } from '../../lib/schemaControls';
import type { ConfigValue } from '../../types/configSchema';
import type { ControlProps } from './types';

export function ChoiceControl({ control, id, value, onChange, invalid, describedBy }: ControlProps<ChoiceDescriptor>) {
  if (control.display === 'select') {
    const index = control.options.findIndex((o) => o.value === value);
    return (
      <select id={id} className="select" value={index} aria-invalid={invalid} aria-describedby={describedBy}
        onChange={(event) => onChange(control.options[Number(event.target.value)].value as ConfigValue, 'commit')}>
        {control.options.map((option, i) => <option key={String(option.value)} value={i}>{option.label}</option>)}
      </select>
    );
  }
  return (
    <div className={`segmented${invalid ? ' is-invalid' : ''}`} role="radiogroup" aria-labelledby={`${id}-label`} aria-describedby={describedBy}>
      {control.options.map((option, i) => (
        <label key={String(option.value)} className="segment">
          <input
            type="radio"
            name={id}
            id={i === 0 ? id : undefined}
            checked={option.value === value}
            onChange={() => onChange(option.value, 'commit')}
          />
          <span>{option.label}</span>
        </label>
      ))}
    </div>
  );
}
