/** What a handler does in tests that need it to take time: asynchronous work of `ms`, not a wait for a condition. */
export function simulatedWork(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** How long an injected fault lasts (redis-server stopped, say): the test's input, not a wait for a condition. */
export function faultLasting(ms: number): Promise<void> {
  return simulatedWork(ms);
}
