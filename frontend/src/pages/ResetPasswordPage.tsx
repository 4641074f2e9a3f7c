/** `/reset-password?token=…`: the link of a password-reset or invitation email. A new password
 * twice; then to the login page, which says the password is set. Every session of the account
 * ends (the server revokes them), so if someone is logged in here, they are logged out. */
import { useEffect, useRef, useState, type FormEvent } from 'react';
import { Link, useNavigate, useSearchParams } from 'react-router';
import { useAuth } from '../context/AuthContext';
import { useFocusRequest } from '../hooks/useFocusRequest';
import { useDocumentTitle } from '../hooks/useDocumentTitle';
import { loginErrorMessage } from '../lib/login';
import { ApiError, api } from '../services/api';
import { sentence } from '../components/layout/ProblemList';

interface Errors {
  password?: string;
  confirm?: string;
}

export const PASSWORD_HINT = 'At least 10 characters. A few unrelated words make a strong one.';

export function ResetPasswordPage() {
  useDocumentTitle('Set your password');
  const [params] = useSearchParams();
  const token = params.get('token') ?? '';
  const navigate = useNavigate();
  const auth = useAuth();
  const [password, setPassword] = useState('');
  const [confirm, setConfirm] = useState('');
  const [errors, setErrors] = useState<Errors>({});
  const [error, setError] = useState<{ message: string; badLink: boolean; n: number } | null>(null);
  const [busy, setBusy] = useState(false);
  const passwordRef = useRef<HTMLInputElement>(null);
  const confirmRef = useRef<HTMLInputElement>(null);
  const [alertRef, focusAlert] = useFocusRequest<HTMLDivElement>();

  useEffect(() => { passwordRef.current?.focus(); }, []);

  if (!token) {
    return (
      <div className="login">
        <section className="login-card" aria-labelledby="reset-title">
          <h1 id="reset-title">This link is incomplete</h1>
          <p>Open the link from your email again, whole, or ask for a new one.</p>
          <div className="login-links"><Link to="/forgot-password">Ask for a new link</Link></div>
        </section>
      </div>
    );
  }

  const submit = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    if (busy) return;
    const found: Errors = {};
    if (!password) found.password = 'Enter a new password.';
    if (!found.password && confirm !== password) found.confirm = 'The two passwords are not the same.';
    setErrors(found);
    setError(null);
    if (found.password || found.confirm) {
      (found.password ? passwordRef : confirmRef).current?.focus();
      return;
    }
    setBusy(true);
    try {
      await api.confirmPasswordReset(token, password);
      // The account's sessions are over; whoever is logged in here is logged out too.
      if (auth.status === 'authenticated') await auth.logout().catch(() => undefined);
      navigate('/login', { replace: true, state: { notice: 'Your password is set. Log in with it.' } });
    } catch (caught) {
      const fields = caught instanceof ApiError && caught.status === 422 ? caught.fieldErrors() : {};
      if (fields.password) {
        setErrors({ password: sentence(fields.password) });
        passwordRef.current?.focus();
      } else {
        const badLink = caught instanceof ApiError && caught.status === 400;
        setError((e) => ({ message: loginErrorMessage(caught), badLink, n: (e?.n ?? 0) + 1 }));
        focusAlert(); // once shown: an empty alert is not displayed
      }
    } finally {
      setBusy(false);
    }
  };

  const describedBy = (field: keyof Errors, extra?: string) =>
    [errors[field] ? `reset-${field}-error` : '', extra ?? '', error ? 'reset-error' : ''].filter(Boolean).join(' ') || undefined;

  return (
    <div className="login">
      <form className="login-card" onSubmit={submit} noValidate aria-labelledby="reset-title">
        <h1 id="reset-title">Set your password</h1>
        {auth.status === 'authenticated' && auth.user && (
          <p className="form-notice">
            You are logged in as {auth.user.email}. Setting a password with this link logs out every session of the account it belongs to.
          </p>
        )}

        <div id="reset-error" className="login-alert" role="alert" tabIndex={-1} ref={alertRef}>
          {error && (
            <p key={error.n}>
              {error.message}{' '}
              {error.badLink && <Link to="/forgot-password">Ask for a new link</Link>}
            </p>
          )}
        </div>

        <div className="login-field">
          <label htmlFor="reset-password">New password</label>
          <input ref={passwordRef} id="reset-password" className="text-field" type="password" name="new-password"
            autoComplete="new-password" required value={password} onChange={(event) => setPassword(event.target.value)}
            aria-invalid={errors.password ? true : undefined} aria-describedby={describedBy('password', 'reset-password-hint')} />
          <p id="reset-password-hint" className="field-hint">{PASSWORD_HINT}</p>
          {errors.password && <p id="reset-password-error" className="field-error">{errors.password}</p>}
        </div>

        <div className="login-field">
          <label htmlFor="reset-confirm">New password again</label>
          <input ref={confirmRef} id="reset-confirm" className="text-field" type="password" name="confirm-password"
            autoComplete="new-password" required value={confirm} onChange={(event) => setConfirm(event.target.value)}
            aria-invalid={errors.confirm ? true : undefined} aria-describedby={describedBy('confirm')} />
          {errors.confirm && <p id="reset-confirm-error" className="field-error">{errors.confirm}</p>}
        </div>

        <button type="submit" className="button login-submit" aria-disabled={busy}>
          {busy ? 'Setting the password…' : 'Set password'}
        </button>
      </form>
    </div>
  );
}
