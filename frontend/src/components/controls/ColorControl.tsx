/** A colour (`#rrggbb`): the system colour picker plus the hex code. */
import { useEffect, useState } from 'react';
import type { ColorControl as ColorDescriptor } from '../../lib/schemaControls';
import { isHexColour } from '../../lib/values';
import type { ControlProps } from './types';

export function ColorControl({ control, id, value, onChange, invalid, describedBy }: ControlProps<ColorDescriptor, string>) {
  const [text, setText] = useState(value);
  useEffect(() => setText(value), [value]);
  const commitText = () => {
    const code = `#${text.trim().replace(/^#/, '').toLowerCase()}`; // the # may be left out
    if (isHexColour(code)) onChange(code, 'commit');
    else setText(value);
  };
  return (
    <div className={`color-control${invalid ? ' is-invalid' : ''}`}>
      <input
        id={id}
        type="color"
        value={value}
        aria-describedby={describedBy}
        onChange={(event) => onChange(event.target.value, 'drag')}
        onBlur={() => onChange(value, 'commit')}
      />
      <input
        type="text"
        className="hex-field"
        aria-label={`${control.label} hex code`}
        value={text}
        maxLength={7}
        spellCheck={false}
        onChange={(event) => setText(event.target.value)}
        onBlur={commitText}
        onKeyDown={(event) => { if (event.key === 'Enter') { event.preventDefault(); commitText(); } }}
      />
    </div>
  );
}
