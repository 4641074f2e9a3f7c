/** Text to copy (a key, a link, an embed snippet): shown read-only with a Copy button. When
 * the clipboard is out of reach (an iframe without permission, an old browser) the text is
 * selected and the user told to copy it themselves. */
import { useId, useRef, useState } from 'react';

interface CopyFieldProps {
  label: string;
  value: string;
  /** Several lines (a snippet) in a text area. */
  multiline?: boolean;
  /** Shown under the field. */
  hint?: string;
  onCopied?(): void;
}

/** Copies `text`; false when the browser would not (then show it to copy by hand). A frame
 * whose embedding page did not grant `clipboard-write` is not even asked (Chrome would log a
 * permissions-policy violation). */
export async function copyText(text: string): Promise<boolean> {
  const policy = (document as Document & { featurePolicy?: { allowsFeature(feature: string): boolean } }).featurePolicy;
  if (window.self !== window.top && policy && !policy.allowsFeature('clipboard-write')) return false;
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    return false;
  }
}

export function CopyField({ label, value, multiline, hint, onCopied }: CopyFieldProps) {
  const id = useId();
  const field = useRef<HTMLInputElement & HTMLTextAreaElement>(null);
  const [status, setStatus] = useState<{ text: string; n: number } | null>(null);

  const copy = async () => {
    if (await copyText(value)) {
      setStatus((s) => ({ text: 'Copied.', n: (s?.n ?? 0) + 1 }));
      onCopied?.();
    } else {
      field.current?.focus();
      field.current?.select();
      setStatus((s) => ({ text: 'Copying was not allowed here: the text is selected, press Ctrl+C (⌘C on a Mac).', n: (s?.n ?? 0) + 1 }));
    }
  };

  const describedBy = [hint ? `${id}-hint` : '', `${id}-status`].filter(Boolean).join(' ');
  return (
    <div className="copy-field">
      <label className="field-label" htmlFor={id}>{label}</label>
      <div className={`copy-row${multiline ? ' is-multiline' : ''}`}>
        {multiline ? (
          <textarea ref={field} id={id} className="text-field code-text" readOnly value={value} rows={4}
            spellCheck={false} aria-describedby={describedBy} onFocus={(event) => event.currentTarget.select()} />
        ) : (
          <input ref={field} id={id} className="text-field code-text" readOnly value={value}
            spellCheck={false} aria-describedby={describedBy} onFocus={(event) => event.currentTarget.select()} />
        )}
        <button type="button" className="button button-secondary button-small" onClick={copy} aria-describedby={`${id}-status`}>
          <svg viewBox="0 0 24 24" aria-hidden="true"><rect x="8" y="8" width="12" height="12" rx="2" /><path d="M16 8V5a1 1 0 0 0-1-1H5a1 1 0 0 0-1 1v10a1 1 0 0 0 1 1h3" /></svg>
          Copy<span className="visually-hidden"> {label.toLowerCase()}</span>
        </button>
      </div>
      {hint && <p className="field-hint" id={`${id}-hint`}>{hint}</p>}
      <p className="field-hint copy-status" id={`${id}-status`} role="status">{status && <span key={status.n}>{status.text}</span>}</p>
    </div>
  );
}
