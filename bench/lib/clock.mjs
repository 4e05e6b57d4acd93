/**
 * Wall-clock milliseconds with sub-millisecond resolution, comparable across the processes
 * of one machine (performance.timeOrigin is the process start on the same wall clock).
 */
export const now = () => performance.timeOrigin + performance.now();
