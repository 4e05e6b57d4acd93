import { levelOfKey } from '../keys.js';
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
export const DEAD_LETTER_FIELDS = [
  'dlqOriginalId', 'dlqGroup', 'dlqConsumer', 'dlqDeliveries', 'dlqReason', 'dlqError', 'dlqStack', 'dlqFailedAt', 'dlqTruncatedFields', 'dlqPriority',
] as const;
const DLQ_FIELDS: ReadonlySet<string> = new Set(DEAD_LETTER_FIELDS);
const MAX_STACK = 4_000;
/**
 * At most this many original fields are copied into a dead letter. Redis runs Lua with a
 * C stack of 8,000 slots, so an XADD of more than ~3,990 field/value pairs inside the
 * dead-letter step fails ("too many results to unpack") and such an entry could never
 * leave the pending list. The wire-format fields are kept first; how many others were
 * left out is written as `dlqTruncatedFields` (the original entry stays in the stream at
 * `dlqOriginalId` until retention trims it).
 */
export const MAX_DEAD_LETTER_FIELDS = 3_000;
const WIRE_FIELDS: ReadonlySet<string> = new Set(['data', 'id', 'ts', 'headers', 'metadata', 'replyTo', 'correlationId']);

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
    const { original, leftOut } = originalFields(input.fields);
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
    if (leftOut > 0) fields.push('dlqTruncatedFields', String(leftOut));
    // Read from a level stream: replay goes back to that level.
    const level = levelOfKey(input.streamKey);
    if (level !== 'normal') fields.push('dlqPriority', level);
    return LuaSteps.deadLetter(
      this.connection,
      { stream: input.streamKey, deadLetter: input.deadLetterKey },
      { group: this.group, entryId: input.entryId, consumer: this.consumer, maxLen: this.maxLen, fields },
    );
  }
}

/** The entry's fields without earlier dlq* details, capped at MAX_DEAD_LETTER_FIELDS (wire-format fields first). */
function originalFields(fields: readonly string[]): { original: string[]; leftOut: number } {
  const original: string[] = [];
  const pairs = fields.length >> 1;
  // A replayed dead letter that fails again gets fresh details, not two sets.
  if (pairs <= MAX_DEAD_LETTER_FIELDS) {
    for (let i = 0; i + 1 < fields.length; i += 2) {
      if (!DLQ_FIELDS.has(fields[i])) original.push(fields[i], fields[i + 1]);
    }
    return { original, leftOut: 0 };
  }
  const others: string[] = [];
  for (let i = 0; i + 1 < fields.length; i += 2) {
    if (DLQ_FIELDS.has(fields[i])) continue;
    (WIRE_FIELDS.has(fields[i]) ? original : others).push(fields[i], fields[i + 1]);
  }
  const room = Math.max(0, MAX_DEAD_LETTER_FIELDS * 2 - original.length);
  original.push(...others.slice(0, room));
  return { original, leftOut: Math.max(0, others.length - room) >> 1 };
}
