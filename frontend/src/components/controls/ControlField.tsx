/** One parameter: label, current value, the control for its kind, hint and problems. */
import type { ReactNode } from 'react';
import type { ChangeMode } from '../../context/useLivePreviewSession';
import { formatValue, type ControlDescriptor } from '../../lib/schemaControls';
import type { ConfigValue } from '../../types/configSchema';
import { ChoiceControl } from './ChoiceControl';
import { ColorControl } from './ColorControl';
import { IntegerStepper } from './IntegerStepper';
import { NumberControl } from './NumberControl';
import { SwatchPicker } from './SwatchPicker';
import { TextControl } from './TextControl';
import { ToggleControl } from './ToggleControl';

interface ControlFieldProps {
  control: ControlDescriptor;
  value: ConfigValue;
  onChange(value: ConfigValue, mode?: ChangeMode): void;
  /** Rule or server messages about this value, each with an optional fix button. */
  problems: ReactNode[];
}

/** Kinds whose control is a group of radios: labelled by a legend-like heading, not a <label for>. */
const GROUPS = new Set(['swatch', 'choice']);

export function ControlField({ control, value, onChange, problems }: ControlFieldProps) {
  const id = `param-${control.key}`;
  const hintId = control.description ? `${id}-hint` : undefined;
  const problemId = problems.length ? `${id}-problem` : undefined;
  const describedBy = [problemId, hintId].filter(Boolean).join(' ') || undefined;
  const invalid = problems.length > 0;
  const common = { id, invalid, describedBy };
  const isGroup = GROUPS.has(control.kind) && !(control.kind === 'choice' && control.display === 'select');
  const showValue = control.kind === 'swatch' || control.kind === 'color'; // the chosen name or code, beside the label

  return (
    <div className={`field field-${control.kind}${invalid ? ' has-problem' : ''}`} data-key={control.key}>
      <div className="field-head">
        {isGroup
          ? <span className="field-label" id={`${id}-label`}>{control.label}</span>
          : <label className="field-label" id={`${id}-label`} htmlFor={id}>{control.label}</label>}
        {showValue && <span className="field-value">{formatValue(control, value)}</span>}
      </div>
      {renderControl()}
      {problems.length > 0 && (
        <div className="field-problems" id={problemId} role="alert">
          {problems}
        </div>
      )}
      {control.description && <p className="field-hint" id={hintId}>{control.description}</p>}
    </div>
  );

  function renderControl() {
    switch (control.kind) {
      case 'number':
        return <NumberControl control={control} value={value as number} onChange={onChange} {...common} />;
      case 'integer':
        return <IntegerStepper control={control} value={value as number} onChange={onChange} {...common} />;
      case 'choice':
        return <ChoiceControl control={control} value={value} onChange={onChange} {...common} />;
      case 'swatch':
        return <SwatchPicker control={control} value={value} onChange={onChange} {...common} />;
      case 'color':
        return <ColorControl control={control} value={value as string} onChange={onChange} {...common} />;
      case 'toggle':
        return <ToggleControl control={control} value={value as boolean} onChange={onChange} {...common} />;
      case 'text':
        return <TextControl control={control} value={value as string} onChange={onChange} {...common} />;
    }
  }
}
