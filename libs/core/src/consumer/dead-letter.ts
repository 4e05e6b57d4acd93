/**
 * Moves an entry to `rs:{stream}:dlq` with every original field plus the failure
 * details, and acks it — one Lua step (dead-letter-2.lua).
 */
import type { RedisConnection } from '../redis/connection.js';
import { LuaSteps } from '../redis/lua-steps.js';
import type { DeadLetterReason } from './received-message.js';

export interface DeadLetterInput {
  streamKey: string;
  deadLetterKey: string;
  entryId: string;
  fields: readonly string[];
  deliveries: number;
  reason: DeadLetterReason;
  error: unknown;
}

/** The failure details a dead letter adds to the original fields (stripped again on replay). */
export const DEAD_LETTER_FIELDS = ['dlqOriginalId', 'dlqGroup', 'dlqConsumer', 'dlqDeliveries', 'dlqReason', 'dlqError', 'dlqStack', 'dlqFailedAt'] as const;
const DLQ_FIELDS: ReadonlySet<string> = new Set(DEAD_LETTER_FIELDS);
const MAX_STACK = 4_000;

export class DeadLetterWriter {
  constructor(
    private readonly connection: RedisConnection,
    private readonly group: string,
    private readonly consumer: string,
    private readonly maxLen: number,
  ) {}

  /** Returns how many old dead letters the length cap dropped, and whether the entry was still ours to move. */
  async write(input: DeadLetterInput): Promise<{ moved: boolean; dropped: number }> {
    const error = input.error as Error | undefined;
    const original: string[] = [];
    // A replayed dead letter that fails again gets fresh details, not two sets.
    for (let i = 0; i + 1 < input.fields.length; i += 2) {
      if (!DLQ_FIELDS.has(input.fields[i])) original.push(input.fields[i], input.fields[i + 1]);
    }
    const fields = [
      ...original,
      'dlqOriginalId', input.entryId,
      'dlqGroup', this.group,
      'dlqConsumer', this.consumer,
      'dlqDeliveries', String(input.deliveries),
      'dlqReason', input.reason,
      'dlqError', error?.message ?? String(input.error),
      'dlqStack', (error?.stack ?? '').slice(0, MAX_STACK),
      'dlqFailedAt', String(Date.now()),
    ];
    return LuaSteps.deadLetter(
      this.connection,
      { stream: input.streamKey, deadLetter: input.deadLetterKey },
      { group: this.group, entryId: input.entryId, consumer: this.consumer, maxLen: this.maxLen, fields },
    );
  }
}
