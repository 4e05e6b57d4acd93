/**
 * Every difference between NestJS 11 and 12 that this package meets, in one place, so the
 * transport and the client stay one copy that runs on both (peer range ^11 || ^12). The
 * package is compiled against Nest 12's types; each helper uses the Nest 12 method when the
 * running Nest has it and does what Nest 11 did otherwise.
 *
 * - ClientProxy#createPacket (Nest 12) builds `{ pattern, data }` and runs the dispatch hook
 *   (`setOnDispatchHook`, which may set `packet.metadata`); Nest 11 has neither.
 * - Server#runWithProcessingHooks (Nest 12) runs a handler between the processing start and
 *   end hooks with an end hook that runs once; Nest 11 has the hooks (same signatures) but
 *   calls them inline in handleEvent.
 *
 * Not differences that need code: Nest 11 never swallows event handler errors
 * (`propagatesEventHandlerErrors` is only read by Nest 12), and packet metadata is simply
 * absent on Nest 11.
 */
import type { BaseRpcContext, ReadPacket, Transport } from '@nestjs/microservices';

interface ClientInternals {
  createPacket?: (pattern: unknown, data: unknown) => ReadPacket;
}

interface ServerInternals {
  transportId?: Transport | symbol;
  onProcessingStartHook: (transportId: Transport | symbol | undefined, context: BaseRpcContext, done: () => Promise<unknown>) => unknown;
  onProcessingEndHook?: (transportId: Transport | symbol | undefined, context: BaseRpcContext) => void;
  runWithProcessingHooks?: (context: BaseRpcContext, fn: (runEndHook: () => void) => Promise<void>) => unknown;
}

/** The packet Nest would hand to the transport for `client` (a ClientProxy): through the dispatch hook on Nest 12. */
export function createPacket(client: object, pattern: unknown, data: unknown): ReadPacket {
  const internals = client as unknown as ClientInternals;
  return typeof internals.createPacket === 'function' ? internals.createPacket(pattern, data) : { pattern, data };
}

/** Runs `fn` between the processing start and end hooks of `server` (a Nest Server); the end hook runs once, also when `fn` rejects. */
export function runWithProcessingHooks(server: object, context: BaseRpcContext, fn: (runEndHook: () => void) => Promise<void>): unknown {
  const internals = server as unknown as ServerInternals;
  if (typeof internals.runWithProcessingHooks === 'function') return internals.runWithProcessingHooks(context, fn);
  return internals.onProcessingStartHook(internals.transportId, context, async () => {
    let ended = false;
    const runEndHook = () => {
      if (ended) return;
      ended = true;
      internals.onProcessingEndHook?.(internals.transportId, context);
    };
    try {
      await fn(runEndHook);
    } catch (error) {
      runEndHook();
      throw error;
    }
  });
}
