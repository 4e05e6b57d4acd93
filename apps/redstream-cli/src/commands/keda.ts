/**
 * `redstream keda <stream> --group g --deployment d`: prints the TriggerAuthentication and
 * ScaledObject that autoscale the deployment on its group's backlog and work in flight,
 * naming the stream key exactly as the transport writes it (prefix and hash tag).
 * Exit codes: 0 ok, 1 failure, 2 bad usage (one line on stderr).
 */
import { Command, Option } from 'commander';
import { KEDA_DEFAULTS, KEDA_MODES, resolveKedaOptions, type KedaMode } from '../keda/keda-options.js';
import { renderKedaManifests } from '../keda/render-manifests.js';
import { toYaml } from '../keda/render-yaml.js';
import { parseNonNegativeInteger, parsePositiveInteger, parseStream, STREAM_ARGUMENT } from '../support/parse.js';

interface KedaFlags {
  group: string;
  deployment: string;
  target: number;
  min: number;
  max: number;
  mode: KedaMode;
  activation: number;
  namespace?: string;
  secret?: string;
  cluster?: boolean;
  pollingInterval: number;
  cooldownPeriod: number;
  partitions?: number;
  ordered?: boolean;
}

/** Needs no Redis: renders from the flags alone. Usage errors (KedaUsageError) exit 2 through main.ts like every command's. */
export function registerKedaCommand(program: Command): void {
  program
    .command('keda')
    .description('render KEDA manifests (TriggerAuthentication, ScaledObject) that autoscale a worker deployment on its group')
    .argument('<stream>', STREAM_ARGUMENT, parseStream)
    .requiredOption('-g, --group <group>', 'consumer group the deployment consumes with')
    .requiredOption('-d, --deployment <name>', 'worker Deployment to scale')
    .option('--target <n>', 'entries per replica (lagCount and pendingEntriesCount); keep it at or below what one worker holds (its prefetch)', parseNonNegativeInteger, KEDA_DEFAULTS.target)
    .option('--min <n>', 'minimum replicas (0 = scale to zero)', parseNonNegativeInteger, KEDA_DEFAULTS.min)
    .option('--max <n>', 'maximum replicas', parseNonNegativeInteger, KEDA_DEFAULTS.max)
    .addOption(
      new Option('--mode <mode>', 'pending: lagCount + pendingEntriesCount triggers; lag: lagCount only')
        .choices(KEDA_MODES)
        .default(KEDA_DEFAULTS.mode),
    )
    .option('--activation <n>', 'activationLagCount: backlog above which a scaled-to-zero worker wakes', parseNonNegativeInteger, KEDA_DEFAULTS.activation)
    .option('-n, --namespace <namespace>', 'namespace of the rendered objects')
    .option('--secret <name>', 'Secret with redis-address (or redis-addresses) and redis-password (default "<deployment>-redis")')
    .option('--cluster', 'Redis Cluster: redis-cluster-streams triggers with every node address')
    .option('--polling-interval <s>', 'seconds between KEDA polls', parseNonNegativeInteger, KEDA_DEFAULTS.pollingInterval)
    .option('--cooldown-period <s>', 'seconds of inactivity before scaling to zero', parseNonNegativeInteger, KEDA_DEFAULTS.cooldownPeriod)
    .option('--partitions <n>', 'a partitioned stream of n partitions (`redstream partitions <stream>`): triggers on every partition, scaling on their total (KEDA 2.12+ scalingModifiers); render again after growing it', parsePositiveInteger)
    .option('--ordered', 'the group consumes ordered: maxReplicaCount is capped at the partition count (one owner per partition)')
    .action((stream: string, flags: KedaFlags) => {
      // The global --cluster (a Redis Cluster) means the same here: cluster triggers.
      const options = resolveKedaOptions({ stream, ...flags, cluster: flags.cluster ?? program.opts().cluster, prefix: program.opts().prefix });
      const manifests = renderKedaManifests(options);
      // Global --json: {"stream","key","group","manifests":[...]} instead of YAML.
      if (program.opts().json) {
        const partitioned = options.partitionKeys.length > 0 ? { partitionKeys: options.partitionKeys } : {};
        const output = { stream: options.stream, key: options.streamKey, group: options.group, ...partitioned, manifests };
        process.stdout.write(`${JSON.stringify(output, null, 2)}\n`);
      } else {
        process.stdout.write(toYaml(manifests));
      }
    });
}
