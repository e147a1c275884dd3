// Time as a dependency: everything that waits or reads the time takes a Clock, so tests can drive it.

export interface Clock {
  /** Milliseconds since the epoch (may be fractional). */
  now(): number;
  /** Resolves after `ms`, or rejects with `signal.reason` when the signal aborts first. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

/** When background work (flushes, retries) runs; injectable so tests drive it by hand. */
export interface Scheduler {
  /** Calls `task` every `intervalMs` until the returned function is called. Must not keep the process alive. */
  every(intervalMs: number, task: () => void): () => void;
  /** Calls `task` soon, after the caller has returned. */
  soon(task: () => void): void;
}

/** setInterval (unref'd) and setImmediate. */
export const timerScheduler: Scheduler = {
  every(intervalMs, task) {
    const timer = setInterval(task, intervalMs);
    timer.unref();
    return () => clearInterval(timer);
  },
  soon(task) {
    setImmediate(task);
  },
};

/** The real clock: Date.now and timers. */
export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms, signal) =>
    new Promise<void>((resolve, reject) => {
      if (signal?.aborted === true) {
        reject(signal.reason as Error);
        return;
      }
      const onAbort = () => {
        clearTimeout(timer);
        reject(signal?.reason as Error);
      };
      const timer = setTimeout(() => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      }, ms);
      signal?.addEventListener('abort', onAbort, { once: true });
    }),
};
