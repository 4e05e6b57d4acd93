/**
 * Port of nestjs/nest `integration/microservices/e2e/disconnected-client.spec.ts` (REDIS case) and
 * its DisconnectedClientController: a client pointed at a closed port fails with `code`
 * `ECONNREFUSED`, which the controller turns into 408. Nest's other cases (TCP, NATS, MQTT, RMQ)
 * are other transports. Added: the failure comes within the client's connect timeout (default
 * 2 s), and a wrong password is reported as such, at once.
 */
import 'reflect-metadata';
import { Body, Controller, InternalServerErrorException, Module, Post, RequestTimeoutException } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { RedisStreamsClient } from '@redstream/nestjs';
import { createServer, type AddressInfo } from 'node:net';
import { catchError, firstValueFrom, throwError, type Observable } from 'rxjs';
import { usePrivateRedis } from '../../support/private-redis.js';
import { quietLogger } from '../../support/quiet-logger.js';

@Controller()
class DisconnectedClientController {
  @Post()
  call(@Body() options: { url: string }): Observable<number> {
    const client = new RedisStreamsClient({ url: options.url, logger: quietLogger });
    return client.send<number, number[]>({ cmd: 'none' }, [1, 2, 3]).pipe(
      catchError((error: { code?: string }) => {
        const { code } = error || { code: 'CONN_ERR' };
        return throwError(() =>
          code === 'ECONNREFUSED' || code === 'CONN_ERR' ? new RequestTimeoutException('ECONNREFUSED') : new InternalServerErrorException(),
        );
      }),
    );
  }
}

@Module({ controllers: [DisconnectedClientController] })
class DisconnectedModule {}

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('Nest conformance: disconnected client (disconnected-client.spec.ts)', () => {
  const env = usePrivateRedis();

  it('REDIS: 408 for a closed port', async () => {
    const app = await NestFactory.create(DisconnectedModule, { logger: false });
    await app.listen(0, '127.0.0.1');
    try {
      const { port } = app.getHttpServer().address() as AddressInfo;
      const response = await fetch(`http://127.0.0.1:${port}/`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ url: `redis://127.0.0.1:${await closedPort()}` }),
      });
      expect(response.status).toBe(408);
    } finally {
      await app.close();
    }
  });

  it('connect() fails within 2 s with ECONNREFUSED as the code and the refused socket as the cause', async () => {
    const client = new RedisStreamsClient({ url: `redis://127.0.0.1:${await closedPort()}`, logger: quietLogger });
    const started = Date.now();
    const error = await client.connect().then(
      () => undefined,
      (e: unknown) => e as Error & { code: string; cause: { code: string } },
    );
    expect(Date.now() - started).toBeLessThan(2_500);
    expect(error).toMatchObject({ code: 'ECONNREFUSED', cause: { code: 'ECONNREFUSED' } });
    expect(error!.message).toMatch(/connection refused/);
    await client.close();
  });

  it('emit and send against a closed port fail the same way', async () => {
    const client = new RedisStreamsClient({ url: `redis://127.0.0.1:${await closedPort()}`, logger: quietLogger });
    await expect(firstValueFrom(client.emit('x', 1))).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    await expect(firstValueFrom(client.send('x', 1))).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    await client.close();
  });

  it('a wrong password fails at once with WRONGPASS, not after the deadline', async () => {
    await env.client.sendCommand(['ACL', 'SETUSER', 'app', 'on', '>right', '~*', '+@all']);
    const url = env.redis.url.replace('redis://', 'redis://app:wrong@');
    const client = new RedisStreamsClient({ url, logger: quietLogger, connectTimeoutMs: 10_000 });
    const started = Date.now();
    const error = await client.connect().then(() => undefined, (e: unknown) => e as Error & { code: string });
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(error).toMatchObject({ code: 'WRONGPASS' });
    expect(error!.message).toMatch(/authentication failed/);
    expect(error!.message).not.toContain('wrong');
    await client.close();
  });
});
