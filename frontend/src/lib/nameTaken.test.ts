import { describe, expect, it } from 'vitest';
import { ApiError } from '../services/api';
import type { Problem } from '../types/api';
import { nameTaken } from './nameTaken';

const taken: Problem = {
  type: 'https://configurator.dev/problems/duplicate-name', title: 'Name already taken', status: 409,
  detail: 'you already have a configuration named “Kitchen”', code: 'DUPLICATE_NAME',
  errors: [{ message: '“Kitchen” is taken; “Kitchen (2)” is free.', code: 'NAME_TAKEN', pointer: '/name', suggestion: 'Kitchen (2)' }],
};

describe('nameTaken', () => {
  it('gives the field message and the free name of a DUPLICATE_NAME answer', () => {
    expect(nameTaken(new ApiError(409, taken, taken.detail))).toEqual({
      message: '“Kitchen” is taken; “Kitchen (2)” is free.', suggestion: 'Kitchen (2)',
    });
  });

  it('is null for any other failure, a 409 of another kind included', () => {
    expect(nameTaken(new ApiError(409, { ...taken, code: 'CONFLICT', errors: [] }, 'conflict'))).toBeNull();
    expect(nameTaken(new ApiError(422, { ...taken, status: 422, code: 'VALIDATION_ERROR' }, 'bad'))).toBeNull();
    expect(nameTaken(new Error('offline'))).toBeNull();
  });

  it('falls back to the summary when the answer lists no error at the name', () => {
    expect(nameTaken(new ApiError(409, { ...taken, errors: [] }, taken.detail))).toEqual({
      message: taken.detail, suggestion: null,
    });
  });
});
