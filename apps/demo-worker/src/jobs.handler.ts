import { Controller, Logger } from '@nestjs/common';
import { Ctx, EventPattern, MessagePattern, Payload } from '@nestjs/microservices';
import { RedisStreamContext, UnrecoverableError } from '@redstream/nestjs';
import { DEMO_STREAM, type DemoJob } from './demo-stream.js';

/** The demo's handlers: a job that takes a few ms, and a request-response quote. */
@Controller()
export class JobsHandler {
  private readonly logger = new Logger(JobsHandler.name);
  handled = 0;

  @EventPattern(DEMO_STREAM)
  async handleJob(@Payload() job: DemoJob, @Ctx() ctx: RedisStreamContext): Promise<void> {
    if (job.poison) throw new UnrecoverableError(`job ${job.id} is marked poison`);
    for (let step = 1; step <= (job.steps ?? 1); step++) {
      await new Promise((resolve) => setTimeout(resolve, job.workMs ?? 2));
      if (job.steps !== undefined) await ctx.reportProgress(Math.round((100 * step) / job.steps));
    }
    this.handled += 1;
    if (this.handled % 250 === 0) {
      this.logger.log(`handled ${this.handled} jobs (last ${ctx.getEntryId()}, delivery ${ctx.getDeliveryCount()})`);
    }
  }

  @MessagePattern('demo.quote')
  quote(@Payload() request: { sku: string }): { sku: string; price: number } {
    return { sku: request.sku, price: 42 };
  }
}
