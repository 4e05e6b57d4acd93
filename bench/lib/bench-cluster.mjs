/** A private three-primary Redis Cluster for one benchmark run (BenchRedis nodes in cluster mode, `redis-cli --cluster create`). */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { BenchRedis } from './redis-server.mjs';

const run = promisify(execFile);

export class BenchCluster {
  constructor(nodes) {
    this.nodes = nodes;
  }

  static async start(size = 3) {
    const nodes = await Promise.all(
      Array.from({ length: size }, () => BenchRedis.start('none', ['--cluster-enabled', 'yes', '--cluster-config-file', 'nodes.conf', '--cluster-node-timeout', '5000'])),
    );
    const cluster = new BenchCluster(nodes);
    try {
      await run('redis-cli', ['--cluster', 'create', ...nodes.map((n) => `127.0.0.1:${n.port}`), '--cluster-replicas', '0', '--cluster-yes']);
      const deadline = Date.now() + 20_000;
      for (const node of nodes) {
        while (!String(await node.admin.sendCommand(['CLUSTER', 'INFO'])).includes('cluster_state:ok')) {
          if (Date.now() > deadline) throw new Error(`cluster not ok on port ${node.port}`);
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
      }
    } catch (error) {
      await cluster.stop();
      throw error;
    }
    return cluster;
  }

  /** redstream's `cluster` option. */
  get options() {
    return { rootNodes: this.nodes.map((node) => ({ url: node.url })) };
  }

  async stop() {
    await Promise.all(this.nodes.map((node) => node.stop()));
  }
}
