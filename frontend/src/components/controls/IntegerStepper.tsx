/** An integer: − and + buttons around a numeric field, bounded by the schema. */
import { useEffect, useState } from 'react';
import type { IntegerControl } from '../../lib/schemaControls';
import type { ControlProps } from './types';

export function IntegerStepper({ control, id, value, onChange, invalid, describedBy }: ControlProps<IntegerControl, number>) {
  const { minimum, maximum, step } = control;
  const [text, setText] = useState(String(value));
  useEffect(() => setText(String(value)), [value]);

  const allowed = (n: number) => Number.isInteger(n) && (minimum === undefined || n >= minimum) && (maximum === undefined || n <= maximum);
  const commit = (raw: string) => {
    const n = Number(raw);
    if (raw.trim() !== '' && allowed(n)) onChange(n, 'commit');
    else setText(String(value));
  };

  return (
    <div className={`stepper${invalid ? ' is-invalid' : ''}`}>
      <button type="button" aria-label={`Decrease ${control.label}`} disabled={minimum !== undefined && value - step < minimum}
        onClick={() => onChange(value - step, 'commit')}>
        <svg viewBox="0 0 16 16" aria-hidden="true"><path d="M3 8h10" /></svg>
      </button>
      <input
        id={id}
        type="text"
        inputMode="numeric"
        autoComplete="off"
        value={text}
        aria-invalid={invalid}
        aria-describedby={describedBy}
        onChange={(event) => setText(event.target.value)}
        onBlur={(event) => commit(event.target.value)}
        onKeyDown={(event) => {
          if (event.key === 'Enter') { event.preventDefault(); commit(text); }
          if (event.key === 'ArrowUp' && allowed(value + step)) { event.preventDefault(); onChange(value + step, 'commit'); }
          if (event.key === 'ArrowDown' && allowed(value - step)) { event.preventDefault(); onChange(value - step, 'commit'); }
        }}
      />
      <button type="button" aria-label={`Increase ${control.label}`} disabled={maximum !== undefined && value + step > maximum}
        onClick={() => onChange(value + step, 'commit')}>
        <svg viewBox="0 0 16 16" aria-hidden="true"><path d="M3 8h10M8 3v10" /></svg>
      </button>
    </div>
  );
}
