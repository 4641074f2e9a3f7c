/** Admin › Products › Versions: a product's template versions, newest first (number, template,
 * date, parameter count), and the compatibility report of the one chosen — by default the
 * newest, compared with the one before; another older one can be chosen to compare with. */
import { useCallback, useEffect, useId, useRef, useState, type RefObject } from 'react';
import { Dialog } from '../../components/layout/Dialog';
import { useAsync } from '../../hooks/useAsync';
import { useFocusRequest } from '../../hooks/useFocusRequest';
import { olderVersions, previousVersion, versionLabel } from '../../lib/compatibility';
import { api } from '../../services/api';
import type { ProductSummary } from '../../types/api';
import { AdminTable } from './AdminTable';
import { VersionReport } from './CompatibilityReport';
import { formatDate, shortVersion } from './format';

interface VersionsDialogProps {
  product: ProductSummary | null;
  onClose(): void;
  returnFocus: RefObject<HTMLElement | null>;
}

export function VersionsDialog({ product, onClose, returnFocus }: VersionsDialogProps) {
  return (
    <Dialog
      open={product !== null}
      title={product ? `Versions of ${product.name}` : 'Versions'}
      onClose={onClose}
      returnFocus={returnFocus}
      wide
      actions={<button type="button" className="button" onClick={onClose}>Close</button>}
    >
      {/* Mounted while open: a fresh list and choice each time. */}
      {product && <Versions key={product.id} product={product} />}
    </Dialog>
  );
}

function Versions({ product }: { product: ProductSummary }) {
  const load = useCallback((signal: AbortSignal) => api.listProductVersions(product.id, signal), [product.id]);
  const versions = useAsync(load);
  const [chosen, setChosen] = useState<number | null>(null);
  const [against, setAgainst] = useState<number | null>(null);
  const [reportHeading, focusReport] = useFocusRequest<HTMLHeadingElement>();
  const body = useRef<HTMLDivElement>(null);
  const listHeading = useRef<HTMLHeadingElement>(null);
  const ids = useId();
  const items = versions.data?.items ?? [];
  const shown = chosen ?? items[0]?.schema_version ?? null;
  const older = shown === null ? [] : olderVersions(items, shown);
  const before = shown === null ? null : previousVersion(items, shown);
  const loaded = versions.data !== undefined;

  // Once the list is there, focus goes to its heading (the dialog opened on its Close button
  // while loading), unless it was already moved into the dialog's content.
  useEffect(() => {
    if (loaded && !body.current?.contains(document.activeElement)) listHeading.current?.focus();
  }, [loaded]);

  const choose = (schemaVersion: number) => {
    setChosen(schemaVersion);
    setAgainst(null);
    focusReport();
  };

  return (
    <div ref={body} className="compat-versions">
      <h3 id={`${ids}-list`} ref={listHeading} tabIndex={-1}>Template versions</h3>
      <AdminTable
        list={versions}
        labelledBy={`${ids}-list`}
        errorTitle="The versions could not be loaded"
        loadingLabel="Loading versions"
        className="version-table"
        columns={['Version', 'Template', 'Created', 'Parameters']}
        actions
        row={(version) => {
          const selected = version.schema_version === shown;
          return (
            <tr key={version.schema_version} data-version={version.schema_version} className={selected ? 'is-selected' : undefined}>
              <th scope="row">
                {versionLabel(version.schema_version)}
                {version.schema_version === items[0]?.schema_version && <span className="cell-note">Current</span>}
              </th>
              <td><code title={version.template_version}>{shortVersion(version.template_version)}</code></td>
              <td><time dateTime={version.created_at}>{formatDate(version.created_at)}</time></td>
              <td>{version.parameter_count}</td>
              <td className="cell-actions">
                <button type="button" className="button button-small button-secondary" aria-pressed={selected}
                  onClick={() => choose(version.schema_version)}>
                  Report<span className="visually-hidden"> of {versionLabel(version.schema_version)}</span>
                </button>
              </td>
            </tr>
          );
        }}
      />
      {shown !== null && older.length > 1 && (
        <div className="compat-against">
          <label className="field-label" htmlFor={`${ids}-against`}>Compare {versionLabel(shown)} with</label>
          <select id={`${ids}-against`} className="select" value={against ?? ''}
            onChange={(event) => setAgainst(event.target.value ? Number(event.target.value) : null)}>
            {before !== null && <option value="">{versionLabel(before)}, the version before</option>}
            {older.filter((v) => v.schema_version !== before).map((v) => (
              <option key={v.schema_version} value={v.schema_version}>{versionLabel(v.schema_version)}</option>
            ))}
          </select>
        </div>
      )}
      {shown !== null && (
        <VersionReport key={shown} productId={product.id} schemaVersion={shown} against={against} headingRef={reportHeading} />
      )}
    </div>
  );
}
