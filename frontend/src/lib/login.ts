/** The login form's own checks and what it says about a refused login. */
import { ApiError } from '../services/api';

export interface FieldErrors {
  email?: string;
  password?: string;
}

const EMAIL = /^[^\s@]+@[^\s@]+$/;

/** What is wrong with an email address as typed, or undefined. */
export function validateEmail(email: string, whose: 'your' | 'their' = 'your'): string | undefined {
  if (!email.trim()) return `Enter ${whose} email address.`;
  if (!EMAIL.test(email.trim())) return 'Enter an email address like name@company.com.';
  return undefined;
}

export function validateLogin(email: string, password: string): FieldErrors {
  const errors: FieldErrors = {};
  const emailProblem = validateEmail(email);
  if (emailProblem) errors.email = emailProblem;
  if (!password) errors.password = 'Enter your password.';
  return errors;
}

/** "in 4 minutes (at 14:05)" for a wait of `seconds`. */
export function retryWhen(seconds: number, now = new Date()): string {
  const at = new Date(now.getTime() + seconds * 1000);
  const clock = at.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
  if (seconds < 60) return `in ${seconds} second${seconds === 1 ? '' : 's'}`;
  const minutes = Math.ceil(seconds / 60);
  return `in ${minutes} minute${minutes === 1 ? '' : 's'} (at ${clock})`;
}

/** What to tell the user about a refused login. */
export function loginErrorMessage(error: unknown): string {
  if (!(error instanceof ApiError)) return 'Logging in failed. Try again.';
  const detail = error.problem?.detail || error.message;
  if (error.status === 429) {
    const wait = error.retryAfterSeconds;
    return `${sentence(detail || 'Too many attempts.')} Try again ${wait != null ? retryWhen(wait) : 'later'}.`;
  }
  if (error.status === 401 || error.status === 403) return sentence(detail || 'The email or password is not right.');
  return sentence(detail || 'Logging in failed. Try again.');
}

function sentence(text: string): string {
  const trimmed = text.trim();
  const first = trimmed.charAt(0).toUpperCase() + trimmed.slice(1);
  return /[.!?]$/.test(first) ? first : `${first}.`;
}
