import type { ArgumentsHost } from '@nestjs/common';
import { BaseRpcExceptionFilter } from '@nestjs/microservices';
import { RedisStreamBatchContext } from './redis-streams-batch.context.js';
import { RedisStreamContext } from './redis-streams.context.js';

const INSTALLED = Symbol.for('@redstream/nestjs:handler-error-capture');

/**
 * Lets the real error of a handler reach retries and dead letters without a filter of the user's.
 *
 * Nest builds every handler's exception handling before the transport starts, and its default
 * filter (`BaseRpcExceptionFilter`) replaces an error that is not an RpcException with
 * `{ status: 'error', message: 'Internal server error' }`; a transport strategy has no way to add
 * a filter of its own. So the filter's `catch` is wrapped once: when the failing call carries a
 * RedisStreamContext (or a batch's RedisStreamBatchContext), the original error is noted on that context, then Nest's filter runs
 * unchanged (its log line, its masked answer to requesters, every other transport untouched).
 * Filters that extend BaseRpcExceptionFilter and call `super.catch` are covered too.
 */
export function captureHandlerErrors(): void {
  const prototype = BaseRpcExceptionFilter.prototype as BaseRpcExceptionFilter & { [INSTALLED]?: true };
  if (prototype[INSTALLED]) return;
  const nestCatch = prototype.catch;
  prototype.catch = function catchNotingTheError(this: BaseRpcExceptionFilter, exception: unknown, host: ArgumentsHost) {
    const context: unknown = host?.getArgByIndex?.(1);
    if (context instanceof RedisStreamContext || context instanceof RedisStreamBatchContext) context.failure = exception;
    return nestCatch.call(this, exception, host);
  };
  prototype[INSTALLED] = true;
}
