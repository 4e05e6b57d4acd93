import type { RedisClient } from './private-redis.js';

/** How many times redis-server ran `command` (`xreadgroup`, `xinfo|groups`) since start or CONFIG RESETSTAT, by INFO commandstats. */
export async function commandCalls(client: RedisClient, command: string): Promise<number> {
  const info = (await client.sendCommand(['INFO', 'commandstats'])) as string;
  const match = new RegExp(`cmdstat_${command.replace('|', '\\|')}:calls=(\\d+)`).exec(info);
  return match ? Number(match[1]) : 0;
}
