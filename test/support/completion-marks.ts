/**
 * Reading and writing a group's completion marks (consumer dedupe) the way the worker does:
 * idempotency keys as members of time-bucketed sets (libs/core/src/consumer/completion-marks.ts).
 */
import { CompletionMarks, DEFAULTS, KeyBuilder } from '@redstream/core';

/** Any client of the tests (the fixtures' clients differ in their module types). */
interface CommandClient {
  sendCommand(args: string[]): Promise<unknown>;
}

const keys = new KeyBuilder('rs');

/** The bucket keys of the group's marks that exist now, oldest first. */
export async function completionBuckets(client: CommandClient, stream: string, group = 'g'): Promise<string[]> {
  const pattern = `${keys.forStream(stream).completedIn(group, 0).replace(/:0$/, '')}:*`;
  const found: string[] = [];
  let cursor = '0';
  do {
    const [next, batch] = (await client.sendCommand(['SCAN', cursor, 'MATCH', pattern, 'COUNT', '1000'])) as [string, string[]];
    found.push(...batch);
    cursor = next;
  } while (cursor !== '0');
  return found.sort((a, b) => Number(a.slice(a.lastIndexOf(':') + 1)) - Number(b.slice(b.lastIndexOf(':') + 1)));
}

/** Every idempotency key the group has a completion mark for. */
export async function completedKeys(client: CommandClient, stream: string, group = 'g'): Promise<Set<string>> {
  const completed = new Set<string>();
  for (const bucket of await completionBuckets(client, stream, group)) {
    for (const key of (await client.sendCommand(['SMEMBERS', bucket])) as string[]) completed.add(key);
  }
  return completed;
}

/** Marks `idempotencyKeys` completed for the group now, as an ack with dedupe on would (`ttlMs`: the group's `dedupe.ttlMs`). */
export async function markCompleted(client: CommandClient, stream: string, idempotencyKeys: string[], group = 'g', ttlMs: number = DEFAULTS.dedupe.ttlMs): Promise<void> {
  const { key, endMs } = new CompletionMarks(group, ttlMs).writeKey(keys.forStream(stream));
  await client.sendCommand(['SADD', key, ...idempotencyKeys]);
  await client.sendCommand(['PEXPIREAT', key, String(endMs + ttlMs)]);
}
