import { Controller, Get, HttpException, HttpStatus, Inject } from '@nestjs/common';
import type { StreamConsumer } from '@redstream/core';
import { WORKER_CONSUMER } from './tokens.js';

/** Liveness and readiness for Kubernetes: ready while the consumer is connected to Redis. */
@Controller()
export class HealthController {
  constructor(@Inject(WORKER_CONSUMER) private readonly consumer: () => StreamConsumer) {}

  @Get('health')
  health(): { status: string; consumer: string; inFlight: number } {
    const consumer = this.consumer();
    const body = { status: consumer.status, consumer: consumer.consumerName, inFlight: consumer.inFlight };
    if (consumer.status !== 'connected') throw new HttpException(body, HttpStatus.SERVICE_UNAVAILABLE);
    return body;
  }
}
