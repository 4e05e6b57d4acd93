/**
 * The NestJS side of a worker: one controller with a no-op `@EventPattern` handler that
 * only records the message. Decorators are applied as functions because the bench is
 * plain JavaScript run as is.
 */
import 'reflect-metadata';
import { Controller, Module } from '@nestjs/common';
import { EventPattern } from '@nestjs/microservices';

export function benchModule(pattern, recorder) {
  class BenchHandlers {
    handle(data) {
      recorder.record(data);
    }
  }
  Controller()(BenchHandlers);
  EventPattern(pattern)(BenchHandlers.prototype, 'handle', Object.getOwnPropertyDescriptor(BenchHandlers.prototype, 'handle'));
  class BenchModule {}
  Module({ controllers: [BenchHandlers] })(BenchModule);
  return BenchModule;
}
