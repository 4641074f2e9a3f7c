/** The configuration in words, for the shopper to check before saving: every option with
 * its value (lengths in the chosen unit) and the size of the model. The size is the model's
 * only once the model on screen is the one these values make. */
import { useConfiguredProduct, useConfigValues, usePreview } from '../../context/ConfiguratorContext';
import { useLengthUnit } from '../../hooks/useLengthUnit';
import { dimensionsText, summarySections } from '../../lib/summary';

export function ConfigurationSummary({ id }: { id: string }) {
  const { controls } = useConfiguredProduct();
  const { values } = useConfigValues();
  const { preview, standIn } = usePreview();
  const lengthUnit = useLengthUnit();
  const sections = summarySections(controls, values);
  const measured = preview.phase === 'ready' && !standIn && preview.model ? preview.model.size : null;

  return (
    <section className="save-summary" id={id} aria-labelledby={`${id}-title`}>
      <h3 className="save-summary-title" id={`${id}-title`}>What you are saving</h3>
      <dl className="save-summary-list">
        <div className="save-summary-row save-summary-size">
          <dt>Dimensions</dt>
          <dd>{measured ? dimensionsText(measured, lengthUnit) : 'Measured once the model is ready'}</dd>
        </div>
        {sections.flatMap((section) => section.rows).map((row) => (
          <div className="save-summary-row" key={row.key} data-key={row.key}>
            <dt>{row.label}</dt>
            <dd>{row.value}</dd>
          </div>
        ))}
      </dl>
    </section>
  );
}
