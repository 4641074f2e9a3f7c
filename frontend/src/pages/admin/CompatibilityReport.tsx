/** A product version's compatibility report: how it differs from the version it is compared
 * with (each change on a line, the breaking ones first and tagged "Breaking") and how many of
 * the product's saved configurations it would refuse, with up to ten of them and each one's
 * first problem. `VersionReport` loads it; the Versions dialog and the Replace template dialog
 * show it. The words come from ../../lib/compatibility. */
import { useCallback, useId, type Ref } from 'react';
import { ProblemList } from '../../components/layout/ProblemList';
import { LoadingState } from '../../components/layout/StatusViews';
import { useAsync } from '../../hooks/useAsync';
import {
  changeLines, changesSummary, configurationsSummary, exampleLines, reportTitle, unlistedCount, verdict, versionLabel,
  type Verdict,
} from '../../lib/compatibility';
import { api } from '../../services/api';
import type { VersionCompatibility } from '../../types/api';

const VERDICTS: Record<Verdict, { className: string; text: string | null }> = {
  breaking: { className: 'form-warning', text: 'Breaking: configurations that were valid before may be refused now.' },
  refuses: { className: 'form-warning', text: 'No breaking change, but some saved configurations do not validate.' },
  compatible: { className: 'form-notice', text: 'Compatible: no change refuses a configuration that was valid before.' },
  first: { className: 'form-notice', text: null },
};

interface VersionReportProps {
  productId: string;
  schemaVersion: number;
  /** The version to compare with; none: the one stored before it. */
  against?: number | null;
  /** The report's heading (an h3), there from the start: focus can go to it while it loads. */
  headingRef?: Ref<HTMLHeadingElement>;
}

/** Loads and shows the report of version `schemaVersion`. */
export function VersionReport({ productId, schemaVersion, against = null, headingRef }: VersionReportProps) {
  const load = useCallback(
    (signal: AbortSignal) => api.versionCompatibility(productId, schemaVersion, against, signal),
    [productId, schemaVersion, against],
  );
  const report = useAsync(load);
  const headingId = useId();
  const current = report.loading ? undefined : report.data;
  return (
    <section className="compat-report" aria-labelledby={headingId} aria-busy={report.loading}>
      <h3 id={headingId} ref={headingRef} tabIndex={-1}>
        {current ? reportTitle(current) : `${versionLabel(schemaVersion)}${against != null ? ` compared with ${versionLabel(against)}` : ''}`}
      </h3>
      {report.loading ? (
        <LoadingState label="Checking the version and the saved configurations" />
      ) : report.error || !current ? (
        <>
          <ProblemList error={report.error} title="The report could not be made." />
          <p><button type="button" className="button button-small button-secondary" onClick={report.reload}>Try again</button></p>
        </>
      ) : (
        <CompatibilityDetails report={current} />
      )}
    </section>
  );
}

/** The report's body, under its heading. */
export function CompatibilityDetails({ report }: { report: VersionCompatibility }) {
  const lines = changeLines(report.changes);
  const examples = exampleLines(report.configurations.examples);
  const unlisted = unlistedCount(report);
  const { className, text } = VERDICTS[verdict(report)];
  return (
    <>
      <div className={className}>
        {text && <p className="compat-verdict">{text}</p>}
        <p>{changesSummary(report)}</p>
      </div>
      {lines.length > 0 && (
        <>
          <h4>Changes</h4>
          <ul className="change-list">
            {lines.map((line) => (
              <li key={line.id} className={line.breaking ? 'is-breaking' : undefined}>
                <span>
                  <span className="change-kind">{line.label}</span>
                  {line.breaking && <span className="badge badge-breaking">Breaking</span>}
                </span>
                <span className="change-text">{line.text}</span>
              </li>
            ))}
          </ul>
        </>
      )}
      <h4>Saved configurations</h4>
      <p className={report.configurations.invalid > 0 ? 'compat-verdict' : undefined}>{configurationsSummary(report)}</p>
      {examples.length > 0 && (
        <ul className="problem-list" aria-label="Saved configurations it would refuse">
          {examples.map((example) => (
            <li key={example.id}>
              <span className="problem-where">{example.name}</span>
              <span className="problem-message">
                {example.where && <><code>{example.where}</code>: </>}
                {example.message}
                {example.more > 0 && <span className="muted"> And {example.more} more {example.more === 1 ? 'problem' : 'problems'}.</span>}
              </span>
              {example.code && <code className="problem-code">{example.code}</code>}
            </li>
          ))}
        </ul>
      )}
      {unlisted > 0 && <p className="muted">{unlisted} more not listed here.</p>}
    </>
  );
}
