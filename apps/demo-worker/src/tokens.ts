export const WORKER_CONSUMER = Symbol('WORKER_CONSUMER');
export const WORKER_METRICS = Symbol('WORKER_METRICS');
