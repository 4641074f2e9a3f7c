/** An integer: − and + buttons around a numeric field, bounded by the schema. At a bound the
 * button is marked aria-disabled and ignores presses, but keeps focus (a disabled button
 * would drop it to the page). A typed value out of range is explained, not reverted. */
import { useEffect, useState } from 'react';
import { parseStepperText, stepperRangeText } from '../../lib/stepper';
import type { IntegerControl } from '../../lib/schemaControls';
import type { ControlProps } from './types';

export function IntegerStepper({ control, id, value, onChange, invalid, describedBy }: ControlProps<IntegerControl, number>) {
  const { minimum, maximum, step } = control;
  const [text, setText] = useState(String(value));
  const [fieldError, setFieldError] = useState<string | null>(null);
  const errorId = `${id}-range`;
  useEffect(() => {
    setText(String(value));
    setFieldError(null);
  }, [value]);

  const allowed = (n: number) => parseStepperText(String(n), control) !== null;
  const commit = (raw: string) => {
    const n = parseStepperText(raw, control);
    if (n === null) {
      setFieldError(stepperRangeText(control));
      return;
    }
    setFieldError(null);
    setText(String(n));
    onChange(n, 'commit');
  };
  const stepBy = (delta: number) => {
    if (!allowed(value + delta)) return;
    setFieldError(null);
    onChange(value + delta, 'commit');
  };
  const atMin = minimum !== undefined && value - step < minimum;
  const atMax = maximum !== undefined && value + step > maximum;
  const showInvalid = invalid || Boolean(fieldError);
  const described = [describedBy, fieldError ? errorId : null].filter(Boolean).join(' ') || undefined;

  return (
    <div className="stepper-control">
      <div className={`stepper${showInvalid ? ' is-invalid' : ''}`}>
        <button type="button" aria-label={`Decrease ${control.label}`} aria-disabled={atMin || undefined}
          onClick={() => stepBy(-step)}>
          <svg viewBox="0 0 16 16" aria-hidden="true"><path d="M3 8h10" /></svg>
        </button>
        <input
          id={id}
          type="text"
          inputMode="numeric"
          autoComplete="off"
          value={text}
          aria-invalid={showInvalid}
          aria-describedby={described}
          onChange={(event) => {
            setText(event.target.value);
            if (fieldError && parseStepperText(event.target.value, control) !== null) setFieldError(null);
          }}
          onBlur={(event) => commit(event.target.value)}
          onKeyDown={(event) => {
            if (event.key === 'Enter') { event.preventDefault(); commit(text); }
            if (event.key === 'Escape') { setText(String(value)); setFieldError(null); }
            if (event.key === 'ArrowUp') { event.preventDefault(); stepBy(step); }
            if (event.key === 'ArrowDown') { event.preventDefault(); stepBy(-step); }
          }}
        />
        <button type="button" aria-label={`Increase ${control.label}`} aria-disabled={atMax || undefined}
          onClick={() => stepBy(step)}>
          <svg viewBox="0 0 16 16" aria-hidden="true"><path d="M3 8h10M8 3v10" /></svg>
        </button>
      </div>
      {fieldError && <p className="field-error stepper-error" id={errorId}>{fieldError}</p>}
    </div>
  );
}
