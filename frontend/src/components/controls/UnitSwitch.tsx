/** The length unit of every length on the page (cm, mm or inches): native radios, so the
 * group is one tab stop with arrow keys; the choice is remembered in this browser. */
import { setLengthUnit, useLengthUnit } from '../../hooks/useLengthUnit';
import { LENGTH_UNITS } from '../../lib/units';

export function UnitSwitch() {
  const lengthUnit = useLengthUnit();
  return (
    <div className="unit-switch">
      <span className="unit-switch-label" id="length-unit-label">Units</span>
      <div className="segmented segmented-compact" role="radiogroup" aria-labelledby="length-unit-label">
        {LENGTH_UNITS.map((unit) => (
          <label key={unit.id} className="segment" title={unit.name}>
            <input type="radio" name="length-unit" value={unit.id} checked={unit.id === lengthUnit}
              onChange={() => setLengthUnit(unit.id)} />
            <span>{unit.label}<span className="visually-hidden"> ({unit.name})</span></span>
          </label>
        ))}
      </div>
    </div>
  );
}
