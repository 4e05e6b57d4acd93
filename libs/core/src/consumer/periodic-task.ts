/**
 * Runs one background job (promoter, retention, reaper) every `intervalMs`, never two
 * runs of it at once, logging failures instead of letting them escape.
 */
export interface BackgroundJob {
  readonly name: string;
  readonly intervalMs: number;
  run(): Promise<void>;
}

export class PeriodicTask {
  private timer: NodeJS.Timeout | undefined;
  private current: Promise<void> | undefined;
  private stopped = true;

  constructor(
    private readonly job: BackgroundJob,
    private readonly onError: (job: string, error: Error) => void,
  ) {}

  start(runNow = false): void {
    this.stopped = false;
    if (runNow) this.tick();
    else this.schedule();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.current;
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => this.tick(), this.job.intervalMs);
    this.timer.unref();
  }

  private tick(): void {
    this.current = this.job
      .run()
      .catch((error: Error) => this.onError(this.job.name, error))
      .finally(() => {
        this.current = undefined;
        this.schedule();
      });
  }
}
