/** `/account`: who is logged in, and changing the password (the current one, the new one
 * twice). The server logs out every other session of the user on a change. */
import { useRef, useState, type FormEvent } from 'react';
import { Link } from 'react-router';
import { sentence } from '../components/layout/ProblemList';
import { RequireRole } from '../components/layout/RequireRole';
import { useAuth } from '../context/AuthContext';
import { useFocusRequest } from '../hooks/useFocusRequest';
import { useDocumentTitle } from '../hooks/useDocumentTitle';
import { focusFirst } from '../lib/focusFirst';
import { loginErrorMessage } from '../lib/login';
import { hasRole, ROLE_LABELS } from '../lib/roles';
import { ApiError, api } from '../services/api';
import { PASSWORD_HINT } from './ResetPasswordPage';

export function AccountPage() {
  useDocumentTitle('Your account');
  return (
    <RequireRole>
      <Account />
    </RequireRole>
  );
}

function Account() {
  const { user, client } = useAuth();
  if (!user) return null;
  return (
    <div className="account">
      <h1>Your account</h1>
      <section className="panel" aria-labelledby="account-who">
        <h2 id="account-who">Who you are</h2>
        <dl className="facts">
          <dt>Name</dt><dd>{user.name}</dd>
          <dt>Email</dt><dd>{user.email}</dd>
          {client && <><dt>Company</dt><dd>{client.name}</dd></>}
          <dt>Role</dt><dd>{ROLE_LABELS[user.role]}</dd>
        </dl>
        {hasRole(user.role, 'admin') && <p><Link to="/admin">Open the admin area</Link></p>}
      </section>
      <ChangePassword />
    </div>
  );
}

interface Errors {
  current?: string;
  next?: string;
  confirm?: string;
}

function ChangePassword() {
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const [confirm, setConfirm] = useState('');
  const [errors, setErrors] = useState<Errors>({});
  const [error, setError] = useState<{ message: string; n: number } | null>(null);
  const [done, setDone] = useState(false);
  const [busy, setBusy] = useState(false);
  const refs = { current: useRef<HTMLInputElement>(null), next: useRef<HTMLInputElement>(null), confirm: useRef<HTMLInputElement>(null) };
  const [alertRef, focusAlert] = useFocusRequest<HTMLDivElement>();
  const [doneRef, focusDone] = useFocusRequest<HTMLParagraphElement>();

  const submit = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    if (busy) return;
    const found: Errors = {};
    if (!current) found.current = 'Enter your current password.';
    if (!next) found.next = 'Enter a new password.';
    else if (confirm !== next) found.confirm = 'The two new passwords are not the same.';
    setErrors(found);
    setError(null);
    setDone(false);
    if (Object.keys(found).length) {
      focusFirst(refs, found);
      return;
    }
    setBusy(true);
    try {
      await api.changePassword(current, next);
      setCurrent('');
      setNext('');
      setConfirm('');
      setDone(true);
      focusDone();
    } catch (caught) {
      const fields = caught instanceof ApiError && caught.status === 422 ? caught.fieldErrors() : {};
      if (fields.new_password || fields.current_password) {
        const found: Errors = {
          current: fields.current_password && sentence(fields.current_password),
          next: fields.new_password && sentence(fields.new_password),
        };
        setErrors(found);
        focusFirst(refs, found);
      } else if (caught instanceof ApiError && caught.status === 403) {
        // The current password is not right (the server counts it like a failed login).
        setErrors({ current: loginErrorMessage(caught) });
        setCurrent('');
        refs.current.current?.focus();
      } else {
        setError((e) => ({ message: loginErrorMessage(caught), n: (e?.n ?? 0) + 1 }));
        focusAlert(); // once shown: an empty alert is not displayed
      }
    } finally {
      setBusy(false);
    }
  };

  const describedBy = (field: keyof Errors, extra?: string) =>
    [errors[field] ? `password-${field}-error` : '', extra ?? '', error ? 'password-error' : ''].filter(Boolean).join(' ') || undefined;

  return (
    <section className="panel" aria-labelledby="account-password">
      <h2 id="account-password">Change your password</h2>
      <form className="form-stack" onSubmit={submit} noValidate>
        {done && (
          <p className="form-notice" role="status" tabIndex={-1} ref={doneRef}>
            Your password is changed. Your other sessions (other browsers and devices) were logged out.
          </p>
        )}
        <div id="password-error" className="login-alert" role="alert" tabIndex={-1} ref={alertRef}>
          {error && <p key={error.n}>{error.message}</p>}
        </div>
        <div className="login-field">
          <label htmlFor="password-current">Current password</label>
          <input ref={refs.current} id="password-current" className="text-field" type="password" autoComplete="current-password"
            value={current} onChange={(event) => setCurrent(event.target.value)}
            aria-invalid={errors.current ? true : undefined} aria-describedby={describedBy('current')} />
          {errors.current && <p id="password-current-error" className="field-error">{errors.current}</p>}
        </div>
        <div className="login-field">
          <label htmlFor="password-next">New password</label>
          <input ref={refs.next} id="password-next" className="text-field" type="password" autoComplete="new-password"
            value={next} onChange={(event) => setNext(event.target.value)}
            aria-invalid={errors.next ? true : undefined} aria-describedby={describedBy('next', 'password-next-hint')} />
          <p id="password-next-hint" className="field-hint">{PASSWORD_HINT}</p>
          {errors.next && <p id="password-next-error" className="field-error">{errors.next}</p>}
        </div>
        <div className="login-field">
          <label htmlFor="password-confirm">New password again</label>
          <input ref={refs.confirm} id="password-confirm" className="text-field" type="password" autoComplete="new-password"
            value={confirm} onChange={(event) => setConfirm(event.target.value)}
            aria-invalid={errors.confirm ? true : undefined} aria-describedby={describedBy('confirm')} />
          {errors.confirm && <p id="password-confirm-error" className="field-error">{errors.confirm}</p>}
        </div>
        <div><button type="submit" className="button" aria-disabled={busy}>{busy ? 'Changing…' : 'Change password'}</button></div>
      </form>
    </section>
  );
}
