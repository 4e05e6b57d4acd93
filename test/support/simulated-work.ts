/** What a handler does in tests that need it to take time: asynchronous work of `ms`, not a wait for a condition. */
export function simulatedWork(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
