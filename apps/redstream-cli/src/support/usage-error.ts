/** Bad usage the parser cannot see (conflicting or missing options): exit code 2. */
export class UsageError extends Error {
  override readonly name: string = 'UsageError';
}
