export const WORKER_CONSUMER = Symbol('WORKER_CONSUMER');
