/**
 * The `redstream` commander program: global options shared by every command, then one
 * `register*Command(program)` per file under `commands/`.
 */
import { readFileSync } from 'node:fs';
import { Command, Option } from 'commander';
import { DEFAULT_URL, DEFAULTS } from '@redstream/core';
import { registerAckCommand } from './commands/ack.js';
import { registerClaimCommand } from './commands/claim.js';
import { registerConsumersCommand } from './commands/consumers.js';
import { registerDashboardCommand } from './commands/dashboard.js';
import { registerDlqCommand } from './commands/dlq.js';
import { registerJobsCommand } from './commands/jobs.js';
import { registerKedaCommand } from './commands/keda.js';
import { registerPartitionsCommand } from './commands/partitions.js';
import { registerPauseCommands } from './commands/pause.js';
import { registerPendingCommand } from './commands/pending.js';
import { registerSchedulesCommand } from './commands/schedules.js';
import { registerStatusCommand } from './commands/status.js';
import { registerStreamsCommand } from './commands/streams.js';
import { registerTrimCommand } from './commands/trim.js';
import { registerWatchCommand } from './commands/watch.js';
import { oneLine } from './support/exit.js';
import { parseDuration } from './support/parse.js';

/** Connecting gives up after this long: an operator at night must not wait on a dead host. */
const CONNECT_TIMEOUT = '3s';

/** Each adds one top-level command. */
const COMMANDS: readonly ((program: Command) => void)[] = [
  registerStreamsCommand,
  registerPendingCommand,
  registerConsumersCommand,
  registerClaimCommand,
  registerAckCommand,
  registerDlqCommand,
  registerTrimCommand,
  registerPauseCommands,
  registerPartitionsCommand,
  registerWatchCommand,
  registerDashboardCommand,
  registerStatusCommand,
  registerJobsCommand,
  registerSchedulesCommand,
  registerKedaCommand,
];

export function buildProgram(): Command {
  const program = new Command('redstream')
    .description('Inspect and operate redstream streams, consumer groups and dead letters.')
    .version(readVersion())
    .addOption(new Option('--url <url>', 'Redis URL (redis://[user:password@]host:port[/db], rediss:// for TLS)').env('REDIS_URL').default(DEFAULT_URL))
    .addOption(new Option('--prefix <prefix>', 'key prefix the services use').default(DEFAULTS.prefix))
    .addOption(new Option('--json', 'print JSON instead of tables').default(false))
    .addOption(new Option('--connect-timeout <duration>', 'give up connecting after this long').default(parseDuration(CONNECT_TIMEOUT), CONNECT_TIMEOUT).argParser(parseDuration))
    .addOption(new Option('--tls-ca <file>', 'PEM file of the CA that signed the server certificate (rediss:// URLs)'))
    .addOption(new Option('--tls-cert <file>', 'PEM client certificate, for a server with tls-auth-clients yes (with --tls-key)'))
    .addOption(new Option('--tls-key <file>', 'PEM private key of the client certificate'))
    .addOption(new Option('--tls-servername <name>', 'server name to verify the certificate against (SNI), when it differs from the URL host'))
    .addOption(new Option('--cluster', 'Redis Cluster: --url names one or more seed nodes (comma-separated); the other nodes are discovered'))
    .configureHelp({ showGlobalOptions: true, sortSubcommands: false })
    .showSuggestionAfterError(true)
    .exitOverride()
    .configureOutput({
      // Commander's usage errors as the same one line as every other error (its "(Did you mean ...?)" hint included).
      outputError: (text, write) => write(`redstream: ${oneLine(text.replace(/^error: /, ''))}\n`),
    });
  for (const register of COMMANDS) register(program);
  return program;
}

function readVersion(): string {
  const manifest = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
  return manifest.version;
}
