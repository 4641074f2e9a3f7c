/** A free text value, committed on Enter or blur. */
import { useEffect, useState } from 'react';
import type { TextControl as TextDescriptor } from '../../lib/schemaControls';
import type { ControlProps } from './types';

export function TextControl({ control, id, value, onChange, invalid, describedBy }: ControlProps<TextDescriptor, string>) {
  const [text, setText] = useState(value);
  useEffect(() => setText(value), [value]);
  return (
    <input
      id={id}
      type="text"
      className="text-field"
      value={text}
      maxLength={control.maxLength}
      aria-invalid={invalid}
      aria-describedby={describedBy}
      onChange={(event) => setText(event.target.value)}
      onBlur={() => onChange(text, 'commit')}
      onKeyDown={(event) => { if (event.key === 'Enter') { event.preventDefault(); onChange(text, 'commit'); } }}
    />
  );
}
