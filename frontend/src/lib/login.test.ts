import { describe, expect, it } from 'vitest';
import { ApiError } from '../services/api';
import type { Problem } from '../types/api';
import { loginErrorMessage, retryWhen, validateLogin } from './login';

const problem = (status: number, detail: string): Problem => ({ type: 'about:blank', title: 'x', status, detail });

describe('login form', () => {
  it('asks for both fields before sending', () => {
    expect(validateLogin('', '')).toEqual({ email: 'Enter your email address.', password: 'Enter your password.' });
    expect(validateLogin('ann', 'pw').email).toMatch(/like name@company.com/);
    expect(validateLogin(' ann@acme.example ', 'pw')).toEqual({});
  });

  it('shows the API\'s detail for 401 and 403', () => {
    expect(loginErrorMessage(new ApiError(401, problem(401, 'wrong email or password'), 'x'))).toBe('Wrong email or password.');
    expect(loginErrorMessage(new ApiError(403, problem(403, "this account's client is disabled"), 'x'))).toBe("This account's client is disabled.");
  });

  it('says when to try again after 429', () => {
    const error = new ApiError(429, problem(429, 'too many failed logins; try later'), 'x', 240);
    expect(loginErrorMessage(error)).toMatch(/^Too many failed logins; try later\. Try again in 4 minutes \(at \d\d:\d\d.*\)\.$/);
    expect(retryWhen(1)).toBe('in 1 second');
    expect(retryWhen(45)).toBe('in 45 seconds');
    expect(loginErrorMessage(new ApiError(429, null, 'Too many requests'))).toBe('Too many requests. Try again later.');
  });

  it('says the server cannot be reached', () => {
    expect(loginErrorMessage(new ApiError(0, null, 'The server cannot be reached. Check your connection and try again.')))
      .toBe('The server cannot be reached. Check your connection and try again.');
    expect(loginErrorMessage(new Error('boom'))).toBe('Logging in failed. Try again.');
  });
});
