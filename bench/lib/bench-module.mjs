/**
 * The NestJS side of a worker: one controller with a no-op `@EventPattern` handler that
 * only records the message. With `ack` (a transport with manual acks), the handler also
 * takes `@Payload()` and `@Ctx()` and acknowledges the message through its context.
 * With `workMs`, the handler then does that much asynchronous work (a timer, as a handler
 * awaiting a database would), for bench/prefetch-choice.mjs.
 * Decorators are applied as functions because the bench is plain JavaScript run as is.
 * The Nest packages are passed in, so a role can use the root's copy or the anchors'
 * package's (whose @nestjs/microservices finds amqplib next to it). With `extras.batch`
 * (redstream's batch handlers) the handler records every payload of its batch.
 */
export function defineBenchModule({ Controller, Module, EventPattern, Payload, Ctx }, pattern, recorder, ack, extras, workMs = 0) {
  class BenchHandlers {
    handle(data) {
      recorder.record(data);
    }

    handleBatch(batch) {
      for (const data of batch) recorder.record(data);
    }

    handleWithWork(data) {
      recorder.record(data);
      return new Promise((resolve) => setTimeout(resolve, workMs));
    }

    handleAndAck(data, context) {
      recorder.record(data);
      ack(context);
    }
  }
  Controller()(BenchHandlers);
  const name = ack ? 'handleAndAck' : extras?.batch ? 'handleBatch' : workMs > 0 ? 'handleWithWork' : 'handle';
  const decorate = extras ? EventPattern(pattern, extras) : EventPattern(pattern);
  decorate(BenchHandlers.prototype, name, Object.getOwnPropertyDescriptor(BenchHandlers.prototype, name));
  if (ack) {
    Payload()(BenchHandlers.prototype, name, 0);
    Ctx()(BenchHandlers.prototype, name, 1);
  }
  class BenchModule {}
  Module({ controllers: [BenchHandlers] })(BenchModule);
  return BenchModule;
}
