/**
 * A real Redis Cluster (three primaries, optionally one replica each) on free ports, made
 * with `redis-cli --cluster create`, for tests of the cluster client paths and failover.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { RedisServer } from './redis-server.js';
import { waitFor } from './wait-for.js';

const run = promisify(execFile);

export class RedisCluster {
  private constructor(readonly nodes: RedisServer[]) {}

  /** `replicas`: replicas per primary (the cluster then has size × (1 + replicas) nodes). */
  static async start(size = 3, { replicas = 0 }: { replicas?: number } = {}): Promise<RedisCluster> {
    const nodes = await Promise.all(Array.from({ length: size * (1 + replicas) }, () => RedisServer.start({ cluster: 'member' })));
    const cluster = new RedisCluster(nodes);
    try {
      await run('redis-cli', ['--cluster', 'create', ...nodes.map((n) => `127.0.0.1:${n.port}`), '--cluster-replicas', String(replicas), '--cluster-yes']);
      for (const node of nodes) {
        const client = await node.client();
        try {
          await waitFor(async () => String(await client.sendCommand(['CLUSTER', 'INFO'])).includes('cluster_state:ok'), {
            timeoutMs: 20_000,
            what: `cluster state ok on port ${node.port}`,
          });
        } finally {
          await client.quit();
        }
      }
    } catch (error) {
      await cluster.stop();
      throw error;
    }
    return cluster;
  }

  /** node-redis cluster options for redstream's `cluster` option. */
  get options(): { rootNodes: { url: string }[] } {
    return { rootNodes: this.nodes.map((node) => ({ url: node.url })) };
  }

  /** The node that owns a key's slot, from CLUSTER SHARDS of the first node. */
  async nodeOf(slot: number): Promise<RedisServer> {
    const client = await this.nodes[0].client();
    try {
      const slots = (await client.sendCommand(['CLUSTER', 'SLOTS'])) as [number, number, [string, number]][];
      const range = slots.find(([from, to]) => slot >= from && slot <= to)!;
      return this.nodes.find((node) => node.port === range[2][1])!;
    } finally {
      await client.quit();
    }
  }

  /** A replica of `primary`, once it is in sync with it (CLUSTER REPLICAS, INFO replication). */
  async replicaOf(primary: RedisServer): Promise<RedisServer> {
    const client = await primary.client();
    try {
      const id = String(await client.sendCommand(['CLUSTER', 'MYID']));
      let replica: RedisServer | undefined;
      await waitFor(
        async () => {
          const lines = ((await client.sendCommand(['CLUSTER', 'REPLICAS', id])) as string[]).filter((line) => !line.includes('fail'));
          const port = Number(/:(\d+)@/.exec(lines[0] ?? '')?.[1]);
          replica = this.nodes.find((node) => node.port === port);
          if (!replica) return false;
          const info = String(await client.sendCommand(['INFO', 'replication']));
          return new RegExp(`slave\\d+:ip=127\\.0\\.0\\.1,port=${port},state=online`).test(info);
        },
        { timeoutMs: 20_000, what: `an in-sync replica of ${primary.port}` },
      );
      return replica!;
    } finally {
      await client.quit();
    }
  }

  async stop(): Promise<void> {
    await Promise.all(this.nodes.map((node) => node.stop()));
  }
}
