import { RedstreamError } from './redstream.error.js';

/** `requireNoEviction: true` and the server's maxmemory-policy evicts keys. */
export class UnsafeRedisError extends RedstreamError {
  constructor(readonly maxmemoryPolicy: string) {
    super(
      'ERR_EVICTION_POLICY',
      `Redis maxmemory-policy is "${maxmemoryPolicy}": at maxmemory it would evict redstream's keys (streams, groups, pending entries, dedupe marks) ` +
        'and lose messages silently. Refusing to start because requireNoEviction is true; set maxmemory-policy noeviction on the server.',
    );
  }
}
