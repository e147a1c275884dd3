// A Scheduler tests drive by hand: interval and deferred tasks run only when the test says so.
import type { Scheduler } from '../../src/spec/index.js';

export class ManualScheduler implements Scheduler {
  readonly intervals: { intervalMs: number; task: () => void; cancelled: boolean }[] = [];
  soonTasks: (() => void)[] = [];

  every(intervalMs: number, task: () => void): () => void {
    const entry = { intervalMs, task, cancelled: false };
    this.intervals.push(entry);
    return () => {
      entry.cancelled = true;
    };
  }

  soon(task: () => void): void {
    this.soonTasks.push(task);
  }

  /** Runs every live interval task once. */
  tick(): void {
    for (const entry of this.intervals) if (!entry.cancelled) entry.task();
  }

  /** Runs the deferred tasks queued so far. */
  runSoon(): void {
    const tasks = this.soonTasks;
    this.soonTasks = [];
    for (const task of tasks) task();
  }
}
