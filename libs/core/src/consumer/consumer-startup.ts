/**
 * What StreamConsumer.start() opens before anything runs, in order: the command connection,
 * the partitioned streams' partitions (each becomes a subscription of its own), the blocking
 * readers, then the server safety check and the consumer groups. A failure at any step closes
 * what the earlier steps opened and rethrows, so the process can exit and start() be retried.
 */
import type { KeyBuilder } from '../keys.js';
import type { ResolvedConsumerOptions } from '../options.js';
import type { ConnectionOptions, ConnectionStatus } from '../redis/connection.js';
import { RedisConnection } from '../redis/connection.js';
import { checkServerSafety } from '../redis/server-safety.js';
import { PartitionMap } from '../partitions/partition-map.js';
import { expandPartitionedSubscriptions, type PartitionSources } from '../partitions/partition-sources.js';
import { GroupManager } from './group-manager.js';
import type { Subscription } from './held-message.js';
import { openStreamReaders, type StreamReader } from './stream-reader.js';

export interface OpenedConsumer {
  readonly command: RedisConnection;
  readonly partitions: PartitionMap;
  readonly sources: PartitionSources;
  readonly readers: StreamReader[];
  readonly groups: GroupManager;
  /** Opens readers for streams that appear later (partition growth), as the first ones were opened. */
  openReaders(streamKeys: readonly string[]): Promise<StreamReader[]>;
}

export interface StartupHooks {
  report(source: string, error: Error): void;
  setStatus(status: ConnectionStatus): void;
}

/** `subscriptions` gains the partitions of partitioned streams (expandPartitionedSubscriptions). */
export async function openConsumer(
  o: ResolvedConsumerOptions,
  keys: KeyBuilder,
  subscriptions: Map<string, Subscription>,
  hooks: StartupHooks,
): Promise<OpenedConsumer> {
  const connection: ConnectionOptions = { url: o.url, client: o.client, cluster: o.cluster, connectTimeoutMs: o.connectTimeoutMs };
  const command = await RedisConnection.open(connection, `redstream-${o.group}-${o.consumer}`);
  const readerName = `redstream-${o.group}-${o.consumer}-reader`;
  const openReaders = (streamKeys: readonly string[]) =>
    openStreamReaders(command, connection, streamKeys, readerName, hooks.setStatus, (error) => hooks.report(`connection ${readerName}`, error));
  let partitions: PartitionMap | undefined;
  let readers: StreamReader[] = [];
  try {
    partitions = new PartitionMap(command, keys, o.partitions, hooks.report);
    const sources = await expandPartitionedSubscriptions(command, keys, partitions, subscriptions);
    const streamKeys = [...subscriptions.values()].map((s) => s.keys.stream);
    readers = await openReaders(streamKeys);
    command.on('connection-error', (error: Error) => hooks.report(`connection ${command.name}`, error));
    hooks.setStatus('connected');
    const groups = new GroupManager(command, o.group, o.startFrom, o.logger, keys);
    await checkServerSafety(command, o.logger, o.requireNoEviction);
    await groups.ensure(streamKeys);
    return { command, partitions, sources, readers, groups, openReaders };
  } catch (error) {
    await Promise.all([...readers.map((reader) => reader.close()), partitions?.close()]);
    await command.disconnect();
    hooks.setStatus('disconnected');
    throw error;
  }
}
