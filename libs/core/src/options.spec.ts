import { DEFAULTS } from './constants.js';
import { InvalidOptionError } from './errors/index.js';
import { resolveConsumerOptions, resolveHandlerOptions, resolveProducerOptions } from './options.js';

describe('consumer options', () => {
  it('applies the defaults of constants.ts', () => {
    const o = resolveConsumerOptions({ group: 'billing' });
    expect(o).toMatchObject({
      prefix: 'rs',
      startFrom: '0',
      concurrency: DEFAULTS.concurrency,
      maxDeliveries: 5,
      backoff: { delayMs: 200, maxDelayMs: 60_000, jitter: true },
      claim: { minIdleMs: 15_000, intervalMs: 5_000, count: 100 },
      dedupe: { ttlMs: 86_400_000 },
      retention: { strategy: 'acked', intervalMs: 10_000 },
      deadLetter: { maxLen: 100_000 },
      shutdownTimeoutMs: 25_000,
    });
    expect(o.consumer).toMatch(/-\d+$/);
    expect(o.prefetch).toBe(8 * DEFAULTS.concurrency);
    expect(o.readCount).toBe(256);
    expect(resolveConsumerOptions({ group: 'g', concurrency: 4096 })).toMatchObject({ prefetch: 4096, readCount: DEFAULTS.readCount });
    expect(resolveConsumerOptions({ group: 'g', concurrency: 512 }).prefetch).toBe(DEFAULTS.prefetch.max);
    expect(resolveConsumerOptions({ group: 'g', concurrency: 1 })).toMatchObject({ prefetch: 8, readCount: 4 });
    expect(resolveConsumerOptions({ group: 'g', concurrency: 8, prefetch: 8 })).toMatchObject({ prefetch: 8, readCount: 4 });
  });

  it('refuses a prefetch below concurrency, naming both', () => {
    expect(() => resolveConsumerOptions({ group: 'g', concurrency: 64, prefetch: 10 })).toThrow(/prefetch.*10.*concurrency \(64\)/s);
  });

  it.each([
    [{ group: 'g', concurrency: 1.5 }, 'concurrency', '1.5'],
    [{ group: 'g', blockMs: -1 }, 'blockMs', '-1'],
    [{ group: 'g', prefetch: 100.5 }, 'prefetch', '100.5'],
    [{ group: 'g', startFrom: '>' }, 'startFrom', '">"'],
    [{ group: 'g', backoff: { delayMs: 500, maxDelayMs: 100 } }, 'backoff.maxDelayMs', '100'],
    [{ group: 'g', backoff: { delay: 5 } }, 'backoff.delay', '5'],
    [{ group: 'g', retention: { maxLen: 10, maxAgeMs: 5 } }, 'retention', ''],
    [{ group: 'g', retention: { strategy: 'fifo' } }, 'retention.strategy', '"fifo"'],
    [{ group: 'g', consumer: 'has space' }, 'consumer', '"has space"'],
    [{ group: 'g', dedupe: { ttlMs: 0 } }, 'dedupe.ttlMs', '0'],
    [{ group: 'g', prefix: 'a:b' }, 'prefix', '"a:b"'],
    [{}, 'group', 'undefined'],
  ])('rejects %j naming the option and the value', (input, option, shown) => {
    let error: unknown;
    try {
      resolveConsumerOptions(input as never);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(InvalidOptionError);
    expect((error as InvalidOptionError).option).toBe(option);
    expect((error as Error).message).toContain(`\`${option}\``);
    expect((error as Error).message).toContain(shown);
    expect((error as Error).message).toMatch(/expected /);
  });

  it('never prints a password from a rejected url', () => {
    expect(() => resolveConsumerOptions({ group: 'g', url: 'http://user:hunter2@host' })).toThrow(/user:\*\*\*@host/);
    expect(() => resolveConsumerOptions({ group: 'g', url: 'http://user:hunter2@host' })).not.toThrow(/hunter2/);
  });

  it('merges per-handler overrides and bounds their concurrency by the server', () => {
    const server = resolveConsumerOptions({ group: 'g', concurrency: 10 });
    expect(resolveHandlerOptions(server, 'p', { maxDeliveries: 2, timeoutMs: 100 })).toMatchObject({ maxDeliveries: 2, timeoutMs: 100, concurrency: 10 });
    expect(() => resolveHandlerOptions(server, 'p', { concurrency: 11 })).toThrow(/handler "p" concurrency/);
  });

  it('takes ordered: a boolean, off by default, refused without claim (its leases last claim.minIdleMs)', () => {
    const server = resolveConsumerOptions({ group: 'g' });
    expect(resolveHandlerOptions(server, 'p').ordered).toBe(false);
    expect(resolveHandlerOptions(server, 'p', { ordered: true }).ordered).toBe(true);
    expect(() => resolveHandlerOptions(server, 'p', { ordered: 'yes' as unknown as boolean })).toThrow(/handler "p" ordered/);
    const noClaim = resolveConsumerOptions({ group: 'g', claim: false });
    expect(() => resolveHandlerOptions(noClaim, 'p', { ordered: true })).toThrow(/handler "p" ordered.*claim: false/);
  });
});

describe('rate limits', () => {
  it('takes { max, perMs } per consumer and per handler, a handler\'s overriding (false: none)', () => {
    const server = resolveConsumerOptions({ group: 'g', rateLimit: { max: 200, perMs: 1000 } });
    expect(server.rateLimit).toEqual({ max: 200, perMs: 1000 });
    expect(resolveHandlerOptions(server, 'p').rateLimit).toEqual({ max: 200, perMs: 1000 });
    expect(resolveHandlerOptions(server, 'p', { rateLimit: { max: 5, perMs: 60_000 } }).rateLimit).toEqual({ max: 5, perMs: 60_000 });
    expect(resolveHandlerOptions(server, 'p', { rateLimit: false }).rateLimit).toBe(false);
    expect(resolveConsumerOptions({ group: 'g' }).rateLimit).toBe(false);
  });

  it('names what is wrong with a bad limit', () => {
    expect(() => resolveConsumerOptions({ group: 'g', rateLimit: { max: 0, perMs: 1000 } })).toThrow(/rateLimit\.max/);
    expect(() => resolveConsumerOptions({ group: 'g', rateLimit: { max: 10 } as never })).toThrow(/rateLimit\.perMs/);
    expect(() => resolveConsumerOptions({ group: 'g', rateLimit: { max: 10, perMs: 1000, burst: 5 } as never })).toThrow(/burst/);
    const server = resolveConsumerOptions({ group: 'g' });
    expect(() => resolveHandlerOptions(server, 'p', { rateLimit: { max: 1.5, perMs: 1000 } })).toThrow(/handler "p" rateLimit\.max/);
  });
});

describe('producer options', () => {
  it('validates the dedupe TTL and request timeout', () => {
    expect(resolveProducerOptions({}).dedupeTtlMs).toBe(86_400_000);
    expect(() => resolveProducerOptions({ requestTimeoutMs: 0 })).toThrow(/`requestTimeoutMs`/);
    expect(() => resolveProducerOptions({ group: 'x' } as never)).toThrow(/`group`.*no such option/);
  });
});
