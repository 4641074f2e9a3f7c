/** What a refused request said: the problem's detail, then each itemised error with what it
 * names (a template's object, modifier or socket; a field) — not only the title. */
import type { Ref } from 'react';
import { problemLines } from '../../lib/problems';
import { ApiError } from '../../services/api';

interface ProblemListProps {
  error: unknown;
  id?: string;
  /** Leads the message, e.g. "The template was not accepted." */
  title?: string;
  ref?: Ref<HTMLDivElement>;
}

export function ProblemList({ error, id, title, ref }: ProblemListProps) {
  const apiError = error instanceof ApiError ? error : null;
  const lines = problemLines(apiError?.errors() ?? []);
  const detail = apiError?.problem?.detail || (error as Error | null)?.message || 'Something went wrong.';
  return (
    <div className="form-alert" role="alert" id={id} ref={ref} tabIndex={-1}>
      {title && <p className="form-alert-title">{title}</p>}
      <p>{sentence(detail)}</p>
      {lines.length > 0 && (
        <ul className="problem-list">
          {lines.map((line, index) => (
            <li key={index}>
              {line.where && <span className="problem-where">{line.where}</span>}
              <span className="problem-message">{sentence(line.message)}</span>
              {line.code && <code className="problem-code">{line.code}</code>}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

export function sentence(text: string): string {
  const trimmed = text.trim();
  if (!trimmed) return trimmed;
  const first = trimmed.charAt(0).toUpperCase() + trimmed.slice(1);
  return /[.!?)]$/.test(first) ? first : `${first}.`;
}
