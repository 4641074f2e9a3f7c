/** A number: slider plus a numeric field in display units (cm for lengths); the value
 * sent is in the schema's unit. Dragging previews live; the field commits on Enter or
 * blur (half-typed numbers like "8" on the way to "85" are never sent). */
import { useEffect, useState, type CSSProperties, type KeyboardEvent } from 'react';
import type { NumberControl as NumberDescriptor } from '../../lib/schemaControls';
import { formatDisplay, fromDisplayWithin, toDisplay } from '../../lib/units';
import type { ControlProps } from './types';

export function NumberControl({ control, id, value, onChange, invalid, describedBy }: ControlProps<NumberDescriptor, number>) {
  const { unit, minimum, maximum } = control;
  const shown = toDisplay(value, unit);
  const [text, setText] = useState(String(shown));
  const [fieldError, setFieldError] = useState<string | null>(null);
  const errorId = `${id}-range`;

  // Follow changes made elsewhere (slider, reset, a rule fix), unless the field is mid-edit with an error.
  useEffect(() => {
    setText(String(shown));
    setFieldError(null);
  }, [shown]);

  const rangeText = minimum !== undefined && maximum !== undefined
    ? `Enter a value from ${formatDisplay(minimum, unit)} to ${formatDisplay(maximum, unit)}.`
    : 'Enter a number.';

  /** The field's text as a schema value, or null when it is not an allowed value. */
  const parse = (raw: string): number | null => {
    const number = Number(raw.replace(',', '.').trim());
    if (raw.trim() === '' || !Number.isFinite(number)) return null;
    const next = fromDisplayWithin(number, unit, minimum, maximum);
    if ((minimum !== undefined && next < minimum) || (maximum !== undefined && next > maximum)) return null;
    return next;
  };

  const commit = () => {
    const next = parse(text);
    if (next === null) {
      setFieldError(rangeText);
      return;
    }
    setFieldError(null);
    setText(String(toDisplay(next, unit)));
    onChange(next, 'commit');
  };

  const onKeyDown = (event: KeyboardEvent<HTMLInputElement>) => {
    if (event.key === 'Enter') {
      event.preventDefault();
      commit();
    } else if (event.key === 'Escape') {
      setText(String(shown));
      setFieldError(null);
    }
  };

  const described = [describedBy, fieldError ? errorId : null].filter(Boolean).join(' ') || undefined;
  return (
    <div className="number-control">
      <div className="number-row">
        {control.slider && minimum !== undefined && maximum !== undefined && (
          <input
            type="range"
            className="slider"
            aria-labelledby={`${id}-label`}
            min={toDisplay(minimum, unit)}
            max={toDisplay(maximum, unit)}
            step={unit.sliderStep}
            value={shown}
            aria-valuetext={formatDisplay(value, unit)}
            aria-describedby={describedBy}
            style={{ '--fill': `${((value - minimum) / (maximum - minimum)) * 100}%` } as CSSProperties}
            onChange={(event) => onChange(fromDisplayWithin(Number(event.target.value), unit, minimum, maximum), 'drag')}
            onPointerUp={() => onChange(value, 'commit')}
            onKeyUp={() => onChange(value, 'commit')}
          />
        )}
        <div className={`number-field${fieldError || invalid ? ' is-invalid' : ''}`}>
          <input
            id={id}
            type="text"
            inputMode="decimal"
            autoComplete="off"
            value={text}
            aria-invalid={Boolean(fieldError) || invalid}
            aria-describedby={described}
            onChange={(event) => {
              setText(event.target.value);
              if (fieldError && parse(event.target.value) !== null) setFieldError(null);
            }}
            onBlur={commit}
            onKeyDown={onKeyDown}
          />
          {unit.symbol && <span className="unit" aria-hidden="true">{unit.symbol}</span>}
        </div>
      </div>
      {fieldError && <p className="field-error" id={errorId}>{fieldError}</p>}
    </div>
  );
}
