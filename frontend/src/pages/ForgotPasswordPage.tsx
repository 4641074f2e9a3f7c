/** `/forgot-password`: ask for a link to set a new password. The server answers alike whether
 * the email has an account or not (202), so this page says the same either way. */
import { useEffect, useRef, useState, type FormEvent } from 'react';
import { Link, useLocation } from 'react-router';
import { useFocusRequest } from '../hooks/useFocusRequest';
import { useDocumentTitle } from '../hooks/useDocumentTitle';
import { loginErrorMessage, validateEmail } from '../lib/login';
import { api } from '../services/api';

export function ForgotPasswordPage() {
  useDocumentTitle('Forgot password');
  const location = useLocation();
  const [email, setEmail] = useState(() => (location.state as { email?: string } | null)?.email ?? '');
  const [fieldError, setFieldError] = useState<string | null>(null);
  const [error, setError] = useState<{ message: string; n: number } | null>(null);
  const [sentTo, setSentTo] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const emailRef = useRef<HTMLInputElement>(null);
  const [alertRef, focusAlert] = useFocusRequest<HTMLDivElement>();
  const doneRef = useRef<HTMLHeadingElement>(null);

  useEffect(() => { emailRef.current?.focus(); }, []);
  useEffect(() => { if (sentTo) doneRef.current?.focus(); }, [sentTo]);

  const submit = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    if (busy) return;
    const problem = validateEmail(email) ?? null;
    setFieldError(problem);
    setError(null);
    if (problem) {
      emailRef.current?.focus();
      return;
    }
    setBusy(true);
    try {
      await api.requestPasswordReset(email.trim());
      setSentTo(email.trim());
    } catch (caught) {
      setError((e) => ({ message: loginErrorMessage(caught), n: (e?.n ?? 0) + 1 }));
      focusAlert(); // once shown: an empty alert is not displayed
    } finally {
      setBusy(false);
    }
  };

  if (sentTo) {
    return (
      <div className="login">
        <section className="login-card" aria-labelledby="forgot-done-title">
          <h1 id="forgot-done-title" tabIndex={-1} ref={doneRef}>Check your email</h1>
          <p role="status">
            If an account exists for <strong>{sentTo}</strong>, an email with a link to set a new password is on its way.
            The link works for one hour.
          </p>
          <p className="muted">Nothing after a few minutes? Look in your spam folder, or ask again.</p>
          <div className="login-links">
            <Link to="/login">Back to log in</Link>
            <button type="button" className="link-button" onClick={() => setSentTo(null)}>Ask again</button>
          </div>
        </section>
      </div>
    );
  }

  const describedBy = [fieldError ? 'forgot-email-error' : '', error ? 'forgot-error' : '', 'forgot-hint'].filter(Boolean).join(' ');
  return (
    <div className="login">
      <form className="login-card" onSubmit={submit} noValidate aria-labelledby="forgot-title">
        <h1 id="forgot-title">Forgot your password?</h1>
        <p className="muted" id="forgot-hint">Enter the email you log in with: we send you a link to set a new password.</p>

        <div id="forgot-error" className="login-alert" role="alert" tabIndex={-1} ref={alertRef}>
          {error && <p key={error.n}>{error.message}</p>}
        </div>

        <div className="login-field">
          <label htmlFor="forgot-email">Email</label>
          <input ref={emailRef} id="forgot-email" className="text-field" type="email" name="email" autoComplete="username"
            inputMode="email" autoCapitalize="none" spellCheck={false} required value={email}
            onChange={(event) => setEmail(event.target.value)}
            aria-invalid={fieldError ? true : undefined} aria-describedby={describedBy} />
          {fieldError && <p id="forgot-email-error" className="field-error">{fieldError}</p>}
        </div>

        <button type="submit" className="button login-submit" aria-disabled={busy}>
          {busy ? 'Sending…' : 'Send me a link'}
        </button>
        <div className="login-links"><Link to="/login">Back to log in</Link></div>
      </form>
    </div>
  );
}
