/** A group of native radios for an enum: the browser gives it one tab stop, arrow keys that
 * move and choose, and the radio roles; the group is labelled by the field's heading
 * (`${id}-label`) and described by its hint and problems. The first radio takes the field's
 * id, so the field's error links land on it. Shared by the segmented choice and the swatches. */
import type { ReactNode } from 'react';
import type { ChoiceOption } from '../../lib/schemaControls';
import type { ControlProps } from './types';

interface RadioGroupProps<O extends ChoiceOption> extends Omit<ControlProps<unknown>, 'control'> {
  options: O[];
  /** Class of the group; `is-invalid` is added while it has a problem. */
  className: string;
  optionClassName: string;
  /** Tooltip of an option, if any. */
  optionTitle?(option: O): string;
  /** What shows beside (or instead of) the radio. */
  renderOption(option: O): ReactNode;
}

export function RadioGroup<O extends ChoiceOption>({
  id, value, onChange, invalid, describedBy, options, className, optionClassName, optionTitle, renderOption,
}: RadioGroupProps<O>) {
  return (
    <div className={`${className}${invalid ? ' is-invalid' : ''}`} role="radiogroup" aria-labelledby={`${id}-label`} aria-describedby={describedBy}>
      {options.map((option, i) => (
        <label key={String(option.value)} className={optionClassName} title={optionTitle?.(option)}>
          <input
            type="radio"
            name={id}
            id={i === 0 ? id : undefined}
            checked={option.value === value}
            onChange={() => onChange(option.value, 'commit')}
          />
          {renderOption(option)}
        </label>
      ))}
    </div>
  );
}
