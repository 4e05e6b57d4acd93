import { Module } from '@nestjs/common';
import type { StreamConsumer } from '@redstream/core';
import { HealthController } from './health.controller.js';
import { JobsHandler } from './jobs.handler.js';
import { WORKER_CONSUMER } from './tokens.js';

let consumer: StreamConsumer | undefined;
export function provideConsumer(value: StreamConsumer): void {
  consumer = value;
}

@Module({
  controllers: [JobsHandler, HealthController],
  providers: [{ provide: WORKER_CONSUMER, useValue: () => consumer }],
})
export class WorkerModule {}
