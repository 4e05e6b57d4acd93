/**
 * For tests that start consumers, producers or connections themselves: `const stopAfterEach =
 * useCleanup()` at describe level, then `stopAfterEach(resource, (r) => r.stop())`. After each
 * test, pass or fail, everything registered is stopped, newest first, so a failed assertion
 * leaves nothing running into the next test or the end of the file.
 */
export function useCleanup(): <T>(resource: T, stop: (resource: T) => Promise<unknown> | unknown) => T {
  const stops: (() => Promise<unknown> | unknown)[] = [];
  afterEach(async () => {
    for (const stop of stops.splice(0).reverse()) {
      // Already stopped by the test itself, or broken by it: nothing left to release.
      await Promise.resolve()
        .then(stop)
        .catch(() => undefined);
    }
  });
  return (resource, stop) => {
    stops.push(() => stop(resource));
    return resource;
  };
}
