/**
 * The replica count KEDA and the HPA converge to for redis-streams triggers (metric type
 * AverageValue): each trigger asks for ceil(metric / target) replicas, the HPA takes the
 * largest, clamped to [max(min, 1), max]; with min 0 KEDA scales to zero only when every
 * trigger is inactive (metric <= activationLagCount). This is the steady state: the HPA
 * also skips changes within 10% of the current count and stabilizes scale-down for 300 s.
 */
export interface TriggerReading {
  /** What the scaler reads: XINFO GROUPS lag, or the XPENDING summary count. */
  metric: number;
  /** lagCount or pendingEntriesCount. */
  target: number;
  /** activationLagCount. */
  activation?: number;
}

export function desiredReplicas(readings: readonly TriggerReading[], min: number, max: number): number {
  const active = readings.some((r) => r.metric > (r.activation ?? 0));
  if (!active && min === 0) return 0;
  const wanted = Math.max(0, ...readings.map((r) => Math.ceil(r.metric / r.target)));
  return Math.min(max, Math.max(min, 1, wanted));
}
