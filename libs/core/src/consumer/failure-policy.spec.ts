import { HandlerTimeoutError, UnrecoverableError } from '../errors/index.js';
import { deadLetterReasonFor } from './failure-policy.js';

const never = () => false;

describe('deadLetterReasonFor', () => {
  it('retries an ordinary error until maxDeliveries, then dead-letters it as max-deliveries', () => {
    expect(deadLetterReasonFor(new Error('boom'), 1, 3, never)).toBeUndefined();
    expect(deadLetterReasonFor(new Error('boom'), 2, 3, never)).toBeUndefined();
    expect(deadLetterReasonFor(new Error('boom'), 3, 3, never)).toBe('max-deliveries');
  });

  it('names a last delivery that timed out', () => {
    expect(deadLetterReasonFor(new HandlerTimeoutError('s', '1-0', 10), 1, 3, never)).toBeUndefined();
    expect(deadLetterReasonFor(new HandlerTimeoutError('s', '1-0', 10), 3, 3, never)).toBe('timeout');
  });

  it('dead-letters unrecoverable errors on the first delivery: UnrecoverableError or the user predicate', () => {
    expect(deadLetterReasonFor(new UnrecoverableError('bad order'), 1, 5, never)).toBe('unrecoverable');
    const isUnrecoverable = (error: unknown) => (error as Error).message === 'validation';
    expect(deadLetterReasonFor(new Error('validation'), 1, 5, isUnrecoverable)).toBe('unrecoverable');
    expect(deadLetterReasonFor(new Error('network'), 1, 5, isUnrecoverable)).toBeUndefined();
  });

  it('treats a predicate that throws as "not unrecoverable"', () => {
    const throws = () => {
      throw new Error('predicate bug');
    };
    expect(deadLetterReasonFor(new Error('boom'), 1, 5, throws)).toBeUndefined();
    expect(deadLetterReasonFor(new Error('boom'), 5, 5, throws)).toBe('max-deliveries');
  });
});
