import { BaseRpcContext, type ReadPacket } from '@nestjs/microservices';
import { createPacket, runWithProcessingHooks } from './nest-compat.js';
import { RedisStreamsClient } from './redis-streams.client.js';
import { RedisStreamsServer } from './redis-streams.server.js';

/** What Nest 11's Server and ClientProxy have of the APIs nest-compat adapts: the hook fields, no helpers. */
function nest11Server(calls: string[]) {
  return {
    transportId: Symbol.for('t'),
    onProcessingStartHook: (transportId: symbol, context: BaseRpcContext, done: () => Promise<unknown>) => {
      calls.push(`start ${String(transportId.description)} ${context.getArgs()[0]}`);
      return done();
    },
    onProcessingEndHook: (_transportId: symbol, context: BaseRpcContext) => {
      calls.push(`end ${context.getArgs()[0]}`);
    },
  };
}

describe('nest-compat', () => {
  describe('createPacket', () => {
    it('runs Nest 12\'s dispatch hook, which may set metadata', () => {
      const client = new RedisStreamsClient({ url: 'redis://127.0.0.1:1' });
      client.setOnDispatchHook((packet: ReadPacket) => {
        packet.metadata = { traceId: 't-1' };
      });
      expect(createPacket(client, 'orders.created', { id: 1 })).toEqual({ pattern: 'orders.created', data: { id: 1 }, metadata: { traceId: 't-1' } });
    });

    it('builds { pattern, data } on a Nest 11 ClientProxy, which has no createPacket', () => {
      expect(createPacket({}, 'orders.created', { id: 1 })).toEqual({ pattern: 'orders.created', data: { id: 1 } });
    });
  });

  describe('runWithProcessingHooks', () => {
    it('uses Nest 12\'s own runner when the server has it', async () => {
      const server = new RedisStreamsServer({ url: 'redis://127.0.0.1:1', group: 'g' });
      const calls: string[] = [];
      server.setOnProcessingStartHook((_id, context, done) => {
        calls.push(`start ${(context as BaseRpcContext).getArgs()[0]}`);
        return done();
      });
      server.setOnProcessingEndHook((_id, context) => calls.push(`end ${(context as BaseRpcContext).getArgs()[0]}`));
      await runWithProcessingHooks(server, new BaseRpcContext(['m1']), async (runEndHook) => {
        calls.push('handler');
        runEndHook();
        runEndHook();
      });
      expect(calls).toEqual(['start m1', 'handler', 'end m1']);
    });

    it('on Nest 11 runs the start hook with the transport id, then the handler, then the end hook once', async () => {
      const calls: string[] = [];
      await runWithProcessingHooks(nest11Server(calls), new BaseRpcContext(['m1']), async (runEndHook) => {
        calls.push('handler');
        runEndHook();
        runEndHook();
      });
      expect(calls).toEqual(['start t m1', 'handler', 'end m1']);
    });

    it('on Nest 11 runs the end hook once when the handler rejects, and passes the rejection on', async () => {
      const calls: string[] = [];
      const failing = runWithProcessingHooks(nest11Server(calls), new BaseRpcContext(['m2']), async () => {
        calls.push('handler');
        throw new Error('card declined');
      });
      await expect(failing).rejects.toThrow('card declined');
      expect(calls).toEqual(['start t m2', 'handler', 'end m2']);
    });
  });
});
