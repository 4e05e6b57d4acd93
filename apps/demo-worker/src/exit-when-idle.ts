import type { INestApplication, LoggerService } from '@nestjs/common';
import type { StreamConsumer } from '@redstream/core';

/**
 * Batch mode (deploy/keda overlays/scaled-job): closes the app — a graceful consumer stop —
 * once no entry has been handled for `idleMs`, so the Job completes. `idleMs` should exceed
 * claim.minIdleMs so that entries a crashed Job left pending are reclaimed before exiting.
 */
export function exitWhenIdle(app: INestApplication, consumer: StreamConsumer, idleMs: number, logger: LoggerService): void {
  let lastWork = Date.now();
  consumer.addObserver({
    handled: () => {
      lastWork = Date.now();
    },
  });
  const timer = setInterval(() => {
    if (Date.now() - lastWork < idleMs) return;
    clearInterval(timer);
    logger.log(`nothing handled for ${idleMs} ms: exiting`);
    app.close().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error(error);
        process.exit(1);
      },
    );
  }, Math.min(1_000, idleMs));
}
