// The one polling helper of the test kit. Prefer an event the code emits; poll only a condition
// that has none, always with a deadline, never a fixed sleep.

/**
 * Polls `check` until it returns something other than undefined or false, and returns that, or
 * fails naming what it waited for (with the last error `check` threw, if any).
 */
export async function waitFor<T>(
  what: string,
  check: () => Promise<T | undefined | false> | T | undefined | false,
  timeoutMs = 30_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined && value !== false) return value;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() > deadline) {
      const why = lastError instanceof Error ? `: ${lastError.message}` : '';
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${why}`);
    }
    await new Promise((r) => setTimeout(r, 20));
  }
}
