/** All parameters of the product, grouped (Size, Options, Finish), with rule problems
 * shown at the value to change and a one-click fix where the rule names one. */
import type { ReactNode } from 'react';
import { useConfigActions, useConfiguredProduct, useConfigValues, useValidation } from '../../context/ConfiguratorContext';
import { formatValue } from '../../lib/schemaControls';
import { ControlField } from './ControlField';
import { UnitSwitch } from './UnitSwitch';

export function ControlsPanel() {
  const { groups, controls } = useConfiguredProduct();
  const { values } = useConfigValues();
  const { violations, fieldErrors } = useValidation();
  const { setValue, applyValues } = useConfigActions();
  const problemsFor = (key: string): ReactNode[] => {
    const out: ReactNode[] = violations
      .filter((v) => v.keys.includes(key))
      .map((v) => {
        const fix = v.fixes.find((f) => f.key === key);
        const control = controls.find((c) => c.key === key);
        return (
          <p key={`rule-${v.rule}`} className="field-error">
            <span>{v.message}</span>
            {fix && control && (
              <button type="button" className="link-button" onClick={() => applyValues({ [fix.key]: fix.value })}>
                Use {formatValue(control, fix.value)}
              </button>
            )}
          </p>
        );
      });
    const serverMessage = fieldErrors[key];
    if (serverMessage) out.push(<p key="server" className="field-error">{serverMessage}</p>);
    return out;
  };

  return (
    <form className="controls" onSubmit={(event) => event.preventDefault()} aria-label="Configuration">
      {groups.map((group) => (
        <fieldset key={group.id} className="control-group">
          <legend>{group.title}</legend>
          {group.id === 'size' && <UnitSwitch />}
          {group.controls.map((control) => (
            <ControlField
              key={control.key}
              control={control}
              value={values[control.key]}
              onChange={(value, mode) => setValue(control.key, value, mode)}
              problems={problemsFor(control.key)}
            />
          ))}
        </fieldset>
      ))}
    </form>
  );
}
