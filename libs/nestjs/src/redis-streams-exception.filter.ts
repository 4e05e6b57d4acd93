import { Catch, type RpcExceptionFilter } from '@nestjs/common';
import { RpcException } from '@nestjs/microservices';
import { throwError, type Observable } from 'rxjs';

/**
 * Lets handler errors reach the transport as they were thrown.
 *
 * Nest's default RPC exception filter turns every error that is not an RpcException into
 * `{ status: 'error', message: 'Internal server error' }` before the transport sees it, so
 * `UnrecoverableError` would be retried like any error and dead letters would lose the real
 * message and stack. Install it once: `app.useGlobalFilters(new RedisStreamsExceptionFilter())`.
 * RpcExceptions keep Nest's behaviour; requesters of @MessagePattern handlers still get
 * "Internal server error" for other errors (the server masks them), as with any Nest transport.
 */
@Catch()
export class RedisStreamsExceptionFilter implements RpcExceptionFilter<unknown> {
  catch(exception: unknown): Observable<never> {
    if (exception instanceof RpcException) {
      const error = exception.getError();
      return throwError(() => (typeof error === 'object' && error !== null ? error : { status: 'error', message: error }));
    }
    return throwError(() => exception);
  }
}
