import { Body, Controller, Get, HttpCode, Inject, Param, Post, Sse, BadRequestException, type MessageEvent } from '@nestjs/common';
import { KeyBuilder, readStreamStats, listStreams, type GroupJobStatus, type StreamStats } from '@redstream/core';
import { RedisStreamRecordBuilder, RedisStreamsClient } from '@redstream/nestjs';
import { lastValueFrom, map, type Observable } from 'rxjs';
import { JOBS_CLIENT } from './tokens.js';

export const DEMO_STREAM = 'demo.jobs';

interface EnqueueRequest {
  count?: number;
  workMs?: number;
  idempotencyKey?: string;
  /** Jobs the worker rejects with UnrecoverableError: they land in the dead-letter stream. */
  poison?: boolean;
  /** Long jobs: `steps` pieces of `workMs`, with progress reported after each. */
  steps?: number;
}

@Controller('jobs')
export class JobsController {
  private nextId = 0;

  constructor(@Inject(JOBS_CLIENT) private readonly client: RedisStreamsClient) {}

  /** Enqueues `count` jobs (default 1); responds with the stream entry ids. */
  @Post()
  @HttpCode(202)
  async enqueue(@Body() body: EnqueueRequest = {}): Promise<{ enqueued: number; ids: string[] }> {
    const count = body.count ?? 1;
    if (!Number.isInteger(count) || count < 1 || count > 100_000) {
      throw new BadRequestException(`count must be an integer between 1 and 100000, got ${JSON.stringify(body.count)}`);
    }
    const ids = await Promise.all(
      Array.from({ length: count }, () => {
        const job = { id: this.nextId++, workMs: body.workMs, poison: body.poison === true ? true : undefined, steps: body.steps };
        const record = new RedisStreamRecordBuilder(job);
        if (body.idempotencyKey !== undefined) record.setIdempotencyKey(`${body.idempotencyKey}`);
        return lastValueFrom(this.client.emit<string>(DEMO_STREAM, record.build()));
      }),
    );
    return { enqueued: count, ids };
  }

  /** Request-response through the workers' @MessagePattern('demo.quote'). */
  @Get('quote')
  quote(): Promise<{ sku: string; price: number }> {
    return lastValueFrom(this.client.send('demo.quote', { sku: 'DEMO-1' }));
  }

  /** Length, pending, lag and dead letters of every stream redstream knows. */
  @Get('stats')
  async stats(): Promise<StreamStats[]> {
    const producer = await this.client.connect();
    const keys = new KeyBuilder(producer.options.prefix);
    const names = await listStreams(producer.connection, keys);
    return Promise.all(names.map((name) => readStreamStats(producer.connection, keys, name)));
  }

  /** Where a job is, per consumer group (client.getStatus): the entry id POST /jobs returned, or the idempotency key. */
  @Get(':id')
  status(@Param('id') id: string): Promise<GroupJobStatus[]> {
    return this.client.getStatus(DEMO_STREAM, id);
  }

  /** The job's state, then each of its lifecycle events as server-sent events, until it is completed or dead-lettered. */
  @Sse(':id/events')
  events(@Param('id') id: string): Observable<MessageEvent> {
    return this.client.watch(DEMO_STREAM, id).pipe(map((event) => ({ data: event })));
  }
}
