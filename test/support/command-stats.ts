/**
 * What redis-server counted per command since start or CONFIG RESETSTAT (INFO commandstats):
 * how often it ran (`calls`) and how often it was refused (`rejected_calls`: ACL, OOM, a
 * wrong number of arguments). Inner commands of scripts count as their own commands.
 */

/** Any client of the tests (the fixtures' clients differ in their module types). */
interface CommandClient {
  sendCommand(args: string[]): Promise<unknown>;
}

export interface CommandStats {
  /** Times `command` (`xreadgroup`, `xinfo|groups`) ran; 0 for one that never did. */
  calls(command: string): number;
  /** Times `command` was refused. */
  rejected(command: string): number;
}

/** Every command's counts at one moment (one INFO), for tests that compare several. */
export async function commandStats(client: CommandClient): Promise<CommandStats> {
  const info = String(await client.sendCommand(['INFO', 'commandstats']));
  const count = (command: string, field: string) => {
    const match = new RegExp(`^cmdstat_${command.replace('|', '\\|')}:.*\\b${field}=(\\d+)`, 'm').exec(info);
    return match ? Number(match[1]) : 0;
  };
  return { calls: (command) => count(command, 'calls'), rejected: (command) => count(command, 'rejected_calls') };
}

/** How many times redis-server ran `command` (`xreadgroup`, `xinfo|groups`), by INFO commandstats. */
export async function commandCalls(client: CommandClient, command: string): Promise<number> {
  return (await commandStats(client)).calls(command);
}
