/**
 * Polls `read` until `done` accepts its value, for at most `timeoutMs`, and returns that value. For what the
 * platform does on its own time (alarms); never a timed assertion: the bound only stops a broken run.
 */
export async function eventually<T>(
  read: () => Promise<T>,
  done: (value: T) => boolean,
  { timeoutMs = 20_000, intervalMs = 100 } = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline) {
      throw new Error(
        `still not done after ${timeoutMs} ms; last value: ${JSON.stringify(value).slice(0, 500)}`,
      );
    }
    await sleep(intervalMs);
  }
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
