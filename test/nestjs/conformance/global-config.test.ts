/**
 * Port of nestjs/nest `integration/microservices/e2e/global-config-applied.spec.ts`: global
 * guards, filters, interceptors and pipes set on the connected microservice are applied to its
 * handlers.
 */
import 'reflect-metadata';
import { Controller, Injectable, type ArgumentsHost, type CallHandler, type CanActivate, type ExecutionContext, type NestInterceptor, type PipeTransform } from '@nestjs/common';
import { BaseRpcExceptionFilter, MessagePattern } from '@nestjs/microservices';
import { usePrivateRedis } from '../../support/private-redis.js';
import { startConformanceApp, SumController, type ConformanceApp } from './conformance-app.js';

@Injectable()
class SpyGuard implements CanActivate {
  called = false;
  canActivate(): boolean {
    this.called = true;
    return true;
  }
}

@Injectable()
class SpyInterceptor implements NestInterceptor {
  called = false;
  intercept(_context: ExecutionContext, next: CallHandler) {
    this.called = true;
    return next.handle();
  }
}

@Injectable()
class SpyPipe implements PipeTransform {
  called = false;
  transform(value: unknown) {
    this.called = true;
    return value;
  }
}

class SpyFilter extends BaseRpcExceptionFilter {
  called = false;
  override catch(exception: unknown, host: ArgumentsHost) {
    this.called = true;
    return super.catch(exception, host);
  }
}

@Controller()
class ExceptionController {
  @MessagePattern({ cmd: 'exception' })
  exception(): never {
    throw new Error('boom');
  }
}

describe('Nest conformance: global config applied (global-config-applied.spec.ts)', () => {
  const env = usePrivateRedis();
  let app: ConformanceApp;
  let guard: SpyGuard;
  let filter: SpyFilter;
  let interceptor: SpyInterceptor;
  let pipe: SpyPipe;

  beforeEach(async () => {
    guard = new SpyGuard();
    filter = new SpyFilter();
    interceptor = new SpyInterceptor();
    pipe = new SpyPipe();
    app = await startConformanceApp([SumController, ExceptionController], env.redis.url, {
      configure: (microservice) => {
        microservice.useGlobalGuards(guard);
        microservice.useGlobalFilters(filter);
        microservice.useGlobalInterceptors(interceptor);
        microservice.useGlobalPipes(pipe);
      },
    });
  });
  afterEach(async () => {
    await app.close();
  });

  it('Guard called', async () => {
    await app.post('/?command=sum', [1, 2, 3, 4, 5]);
    expect(guard.called).toBe(true);
  });

  it('Filter called', async () => {
    expect((await app.post('/?command=exception', [1, 2, 3, 4, 5])).status).toBe(500);
    expect(filter.called).toBe(true);
  });

  it('Interceptor called', async () => {
    await app.post('/?command=sum', [1, 2, 3, 4, 5]);
    expect(interceptor.called).toBe(true);
  });

  it('Pipe called', async () => {
    await app.post('/?command=sum', [1, 2, 3, 4, 5]);
    expect(pipe.called).toBe(true);
  });
});
