import { ErrorReporter } from './error-reporter.js';

describe('ErrorReporter', () => {
  it('passes every error to the listener but logs one line per source at most every 5 s', () => {
    const heard: string[] = [];
    const logged: string[] = [];
    const logger = { log: () => undefined, warn: () => undefined, error: (message: string) => logged.push(message) };
    const reporter = new ErrorReporter(logger, (error, source) => heard.push(`${source}: ${error.message}`));
    reporter.report('read', new Error('ECONNREFUSED'));
    reporter.report('read', new Error('ECONNREFUSED again'));
    reporter.report('ack', new Error('NOPERM'));
    expect(heard).toEqual(['read: ECONNREFUSED', 'read: ECONNREFUSED again', 'ack: NOPERM']);
    expect(logged).toEqual(['read failed: ECONNREFUSED', 'ack failed: NOPERM']);
  });
});
