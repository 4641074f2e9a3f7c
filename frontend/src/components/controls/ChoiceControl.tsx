/** An enum: segmented buttons (native radios, so arrow keys work) or a select. */
import type { ChoiceControl as ChoiceDescriptor } from '../../lib/schemaControls';
import { RadioGroup } from './RadioGroup';
import type { ControlProps } from './types';

export function ChoiceControl({ control, ...field }: ControlProps<ChoiceDescriptor>) {
  const { id, value, onChange, invalid, describedBy } = field;
  if (control.display === 'select') {
    const index = control.options.findIndex((o) => o.value === value);
    return (
      <select id={id} className="select" value={index} aria-invalid={invalid} aria-describedby={describedBy}
        onChange={(event) => onChange(control.options[Number(event.target.value)].value, 'commit')}>
        {control.options.map((option, i) => <option key={String(option.value)} value={i}>{option.label}</option>)}
      </select>
    );
  }
  return (
    <RadioGroup
      {...field}
      options={control.options}
      className="segmented"
      optionClassName="segment"
      renderOption={(option) => <span>{option.label}</span>}
    />
  );
}
