/** A boolean: a switch (a checkbox with role="switch"). */
import type { ToggleControl as ToggleDescriptor } from '../../lib/schemaControls';
import type { ControlProps } from './types';

export function ToggleControl({ id, value, onChange, invalid, describedBy }: ControlProps<ToggleDescriptor, boolean>) {
  return (
    <label className={`switch${invalid ? ' is-invalid' : ''}`}>
      <input id={id} type="checkbox" role="switch" checked={value} aria-invalid={invalid} aria-describedby={describedBy}
        onChange={(event) => onChange(event.target.checked, 'commit')} />
      <span className="switch-track" aria-hidden="true"><span className="switch-thumb" /></span>
      <span className="switch-text" aria-hidden="true">{value ? 'Yes' : 'No'}</span>
    </label>
  );
}
