/**
 * Runs the stored schedules: any number of processes (every worker, a producer) may run a
 * Scheduler at once, and each tick is still published once — the tick is claimed and
 * published in one Lua step that compares and moves the stored `next` (fire-schedule-3.lua),
 * and the tick's idempotency key (name + tick time) makes a repeat add nothing. Between passes
 * it sleeps until the earliest next tick, at most `pollMs`, so new schedules are seen soon.
 */
import { DEFAULTS, HEADER_SCHEDULE, HEADER_SCHEDULE_TICK } from '../constants.js';
import { encodeEnvelope, jsonSerializer, type Serializer } from '../envelope.js';
import { InvalidOptionError } from '../errors/index.js';
import { KeyBuilder } from '../keys.js';
import type { Logger } from '../option-types.js';
import { consoleLogger } from '../options.js';
import type { RedisConnection } from '../redis/connection.js';
import { LuaSteps } from '../redis/lua-steps.js';
import { listSchedules, readSchedule, type ScheduleInfo } from '../admin/schedules.js';
import { planTick } from './schedule-plan.js';

export interface SchedulerOptions {
  prefix?: string;
  serializer?: Serializer;
  logger?: Logger;
  /** Look for new or changed schedules at least this often, ms. Default 1,000. */
  pollMs?: number;
  /** A tick up to this late still fires on time; older ticks count as missed (`catchUp`). Default 2,000. */
  graceMs?: number;
  /** How long a tick's idempotency mark lives, ms. Default one day. */
  idempotencyTtlMs?: number;
}

/** Ticks one schedule may publish in one pass (catching up after a stall goes on in the next pass). */
const MAX_TICKS_PER_PASS = 100;

export class Scheduler {
  private readonly keys: KeyBuilder;
  private readonly pollMs: number;
  private readonly graceMs: number;
  private readonly idempotencyTtlMs: number;
  private readonly serializer: Serializer;
  private readonly logger: Logger;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = true;

  constructor(
    private readonly connection: RedisConnection,
    options: SchedulerOptions = {},
  ) {
    this.keys = new KeyBuilder(options.prefix ?? DEFAULTS.prefix);
    this.pollMs = positive('pollMs', options.pollMs ?? DEFAULTS.scheduler.pollMs);
    this.graceMs = positive('graceMs', options.graceMs ?? DEFAULTS.scheduler.graceMs);
    this.idempotencyTtlMs = positive('idempotencyTtlMs', options.idempotencyTtlMs ?? DEFAULTS.dedupe.ttlMs);
    this.serializer = options.serializer ?? jsonSerializer;
    this.logger = options.logger ?? consoleLogger;
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.arm(0);
  }

  /** Stops; resolves once a pass in progress has finished (its Lua steps are atomic either way). */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
  }

  /** One pass over every schedule: publishes the due ticks; returns when the earliest next tick is. */
  async runOnce(now = Date.now()): Promise<number> {
    let earliest = Infinity;
    for (const schedule of await listSchedules(this.connection, this.keys)) {
      const next = await this.fireDue(schedule, now);
      if (next !== null) earliest = Math.min(earliest, next);
    }
    return earliest;
  }

  private arm(delayMs: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.running = this.pass().finally(() => (this.running = undefined));
    }, delayMs);
  }

  private async pass(): Promise<void> {
    let delay = this.pollMs;
    try {
      const earliest = await this.runOnce();
      delay = Math.max(0, Math.min(this.pollMs, earliest - Date.now()));
    } catch (error) {
      this.logger.warn(`scheduler: ${(error as Error).message}; trying again in ${this.pollMs} ms`);
    }
    this.arm(delay);
  }

  /** Fires the due ticks of one schedule; returns its next tick (null when finished or gone). */
  private async fireDue(schedule: ScheduleInfo, now: number): Promise<number | null> {
    let current: ScheduleInfo | undefined = schedule;
    for (let ticks = 0; current !== undefined && current.next !== null && current.next <= now && ticks < MAX_TICKS_PER_PASS; ticks++) {
      const plan = planTick(current.definition, { next: current.next, runs: current.runs }, now, this.graceMs);
      const k = this.keys.forStream(current.stream);
      const tick = plan.fireAt ?? current.next;
      const idempotencyKey = `schedule:${current.name}:${tick}`;
      const { claimed } = await LuaSteps.fireSchedule(
        this.connection,
        { schedule: k.schedule(current.name), stream: k.stream, tickIdempotency: k.idempotency(idempotencyKey) },
        {
          expectedNext: current.next, fireAt: plan.fireAt, next: plan.next, idempotencyTtlMs: this.idempotencyTtlMs, now: Date.now(),
          fields: plan.fireAt === null ? [] : this.fields(current, plan.fireAt, idempotencyKey),
        },
      );
      // Claimed: go on from the plan. Not claimed: another scheduler moved it (or it changed); read what is stored now.
      current = claimed
        ? { ...current, next: plan.next, runs: current.runs + (plan.fireAt === null ? 0 : 1) }
        : await readSchedule(this.connection, this.keys, current.name, current.stream);
    }
    return current?.next ?? null;
  }

  private fields(schedule: ScheduleInfo, tick: number, idempotencyKey: string): string[] {
    const { definition } = schedule;
    const headers = { ...definition.headers, [HEADER_SCHEDULE]: schedule.name, [HEADER_SCHEDULE_TICK]: new Date(tick).toISOString() };
    return encodeEnvelope(definition.stream, { data: definition.data, idempotencyKey, headers }, this.serializer);
  }
}

function positive(name: string, value: number): number {
  if (!Number.isInteger(value) || value < 1) throw new InvalidOptionError(`schedules.${name}`, value, 'an integer number of ms, at least 1');
  return value;
}
