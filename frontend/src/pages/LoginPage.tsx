/** `/login`: email and password; afterwards back to `?next=` (a path of this app only). */
import { useEffect, useRef, useState, type FormEvent } from 'react';
import { Link, Navigate, useLocation, useNavigate, useSearchParams } from 'react-router';
import { useAuth } from '../context/AuthContext';
import { useFocusRequest } from '../hooks/useFocusRequest';
import { useDocumentTitle } from '../hooks/useDocumentTitle';
import { loginErrorMessage, validateLogin, type FieldErrors } from '../lib/login';
import { safeNextPath } from '../lib/nextPath';
import { ApiError } from '../services/api';

export function LoginPage() {
  useDocumentTitle('Log in');
  const auth = useAuth();
  const navigate = useNavigate();
  const [params] = useSearchParams();
  const location = useLocation();
  const next = safeNextPath(params.get('next'), window.location.origin);
  /** Set by the page that sent here (a password just set). */
  const notice = (location.state as { notice?: string } | null)?.notice;

  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [fieldErrors, setFieldErrors] = useState<FieldErrors>({});
  const [error, setError] = useState<{ message: string; n: number } | null>(null);
  const [busy, setBusy] = useState(false);
  const [done, setDone] = useState(false);
  const emailRef = useRef<HTMLInputElement>(null);
  const passwordRef = useRef<HTMLInputElement>(null);
  const [alertRef, focusAlert] = useFocusRequest<HTMLDivElement>();

  useEffect(() => { emailRef.current?.focus(); }, []);

  if (auth.status === 'authenticated' && !busy && !done) return <Navigate to={next} replace />;

  const submit = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    if (busy) return;
    const problems = validateLogin(email, password);
    setFieldErrors(problems);
    setError(null);
    if (problems.email || problems.password) {
      (problems.email ? emailRef : passwordRef).current?.focus();
      return;
    }
    setBusy(true);
    try {
      await auth.login(email.trim(), password);
      setDone(true);
      navigate(next, { replace: true });
    } catch (caught) {
      const fields = caught instanceof ApiError && caught.status === 422 ? caught.fieldErrors() : {};
      if (fields.email || fields.password) {
        setFieldErrors({ email: fields.email, password: fields.password });
        (fields.email ? emailRef : passwordRef).current?.focus();
      } else {
        setError((e) => ({ message: loginErrorMessage(caught), n: (e?.n ?? 0) + 1 }));
        if (caught instanceof ApiError && caught.status === 401) {
          setPassword('');
          passwordRef.current?.focus();
        } else {
          focusAlert(); // once shown: an empty alert is not displayed
        }
      }
    } finally {
      setBusy(false);
    }
  };

  const describedBy = (field: keyof FieldErrors) =>
    [fieldErrors[field] ? `login-${field}-error` : '', error ? 'login-error' : ''].filter(Boolean).join(' ') || undefined;

  return (
    <div className="login">
      <form className="login-card" onSubmit={submit} noValidate aria-labelledby="login-title">
        <h1 id="login-title">Log in</h1>
        <p className="muted">With the account your company gave you.</p>

        {notice && !error && <p className="form-notice" role="status">{notice}</p>}

        <div id="login-error" className="login-alert" role="alert" tabIndex={-1} ref={alertRef}>
          {error && <p key={error.n}>{error.message}</p>}
        </div>

        <div className="login-field">
          <label htmlFor="login-email">Email</label>
          <input
            ref={emailRef}
            id="login-email"
            className="text-field"
            type="email"
            name="email"
            autoComplete="username"
            inputMode="email"
            autoCapitalize="none"
            spellCheck={false}
            required
            value={email}
            onChange={(event) => setEmail(event.target.value)}
            aria-invalid={fieldErrors.email ? true : undefined}
            aria-describedby={describedBy('email')}
          />
          {fieldErrors.email && <p id="login-email-error" className="field-error">{fieldErrors.email}</p>}
        </div>

        <div className="login-field">
          <label htmlFor="login-password">Password</label>
          <input
            ref={passwordRef}
            id="login-password"
            className="text-field"
            type="password"
            name="password"
            autoComplete="current-password"
            required
            value={password}
            onChange={(event) => setPassword(event.target.value)}
            aria-invalid={fieldErrors.password ? true : undefined}
            aria-describedby={describedBy('password')}
          />
          {fieldErrors.password && <p id="login-password-error" className="field-error">{fieldErrors.password}</p>}
          <Link className="login-forgot" to="/forgot-password" state={{ email: email.trim() }}>Forgot password?</Link>
        </div>

        <button type="submit" className="button login-submit" aria-disabled={busy}>
          {busy ? 'Logging in…' : 'Log in'}
        </button>
      </form>
    </div>
  );
}
