import { Module } from '@nestjs/common';
import { RedisStreamsModule } from '@redstream/nestjs';
import { JobsController } from './jobs.controller.js';
import { JOBS_CLIENT } from './tokens.js';

@Module({
  imports: [RedisStreamsModule.register({ name: JOBS_CLIENT, url: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379' })],
  controllers: [JobsController],
})
export class ProducerModule {}
