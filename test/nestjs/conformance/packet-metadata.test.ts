/**
 * Port of nestjs/nest `integration/microservices/e2e/packet-metadata-tcp.spec.ts`: what a
 * client's dispatch hook attaches is what the handler's context returns, for requests and
 * events alike, over a real round trip through Redis (wire field `metadata`).
 */
import 'reflect-metadata';
import { Controller, Module, type INestMicroservice } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Ctx, EventPattern, MessagePattern, Payload } from '@nestjs/microservices';
import { RedisStreamContext, RedisStreamsClient, RedisStreamsServer } from '@redstream/nestjs';
import { firstValueFrom } from 'rxjs';
import { usePrivateRedis } from '../../support/private-redis.js';
import { quietLogger } from '../../support/quiet-logger.js';
import { waitFor } from '../../support/wait-for.js';

@Controller()
class MetadataController {
  static lastEventMetadata: Record<string, string> | null | undefined;

  @MessagePattern('echo-metadata')
  echo(@Payload() data: unknown, @Ctx() context: RedisStreamContext) {
    return { data, metadata: context.getMetadata() ?? null };
  }

  @EventPattern('record-metadata')
  record(@Ctx() context: RedisStreamContext) {
    MetadataController.lastEventMetadata = context.getMetadata();
  }
}

@Module({ controllers: [MetadataController] })
class MetadataModule {}

describe('Nest conformance: packet metadata (packet-metadata-tcp.spec.ts)', () => {
  const env = usePrivateRedis();
  let app: INestMicroservice;
  let client: RedisStreamsClient;

  beforeEach(async () => {
    app = await NestFactory.createMicroservice(MetadataModule, {
      strategy: new RedisStreamsServer({ url: env.redis.url, group: 'meta', logger: quietLogger, blockMs: 200 }),
      logger: false,
    });
    await app.listen();
    client = new RedisStreamsClient({ url: env.redis.url, logger: quietLogger });
    await client.connect();
  });
  afterEach(async () => {
    await client.close();
    await app.close();
  });

  it('delivers what the dispatch hook attached to a request, beside the payload', async () => {
    client.setOnDispatchHook((packet) => {
      packet.metadata = { 'x-request-id': 'trace-1' };
    });
    expect(await firstValueFrom(client.send('echo-metadata', { orderId: 7 }))).toEqual({ data: { orderId: 7 }, metadata: { 'x-request-id': 'trace-1' } });
  });

  it('delivers it with an event as well', async () => {
    MetadataController.lastEventMetadata = undefined;
    client.setOnDispatchHook((packet) => {
      packet.metadata = { 'x-request-id': 'trace-2' };
    });
    await firstValueFrom(client.emit('record-metadata', {}), { defaultValue: undefined });
    await waitFor(() => MetadataController.lastEventMetadata !== undefined, { what: 'the event handled' });
    expect(MetadataController.lastEventMetadata).toEqual({ 'x-request-id': 'trace-2' });
  });

  it('leaves the context without metadata (null) when no hook is set', async () => {
    expect(await firstValueFrom(client.send('echo-metadata', 'plain'))).toEqual({ data: 'plain', metadata: null });
  });

  it('calls the hook once per packet, with the pattern and the data', async () => {
    const seen: unknown[] = [];
    client.setOnDispatchHook((packet) => {
      seen.push({ pattern: packet.pattern, data: packet.data });
    });
    await firstValueFrom(client.send('echo-metadata', 1));
    await firstValueFrom(client.send('echo-metadata', 2));
    await firstValueFrom(client.emit('record-metadata', 3));
    expect(seen).toEqual([
      { pattern: 'echo-metadata', data: 1 },
      { pattern: 'echo-metadata', data: 2 },
      { pattern: 'record-metadata', data: 3 },
    ]);
  });

  it('writes the metadata as a readable field of the entry', async () => {
    client.setOnDispatchHook((packet) => {
      packet.metadata = { tenant: 't1' };
    });
    const entryId = await firstValueFrom(client.emit('record-metadata', {}));
    const [entry] = await env.client.xRange('rs:{record-metadata}', entryId as string, entryId as string);
    expect(entry.message.metadata).toBe('{"tenant":"t1"}');
  });
});
