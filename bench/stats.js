// Percentiles, histograms and /proc readings for the benchmark.
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';

/** Sorted copy of the finite values (NaN marks a missing sample). */
export function sortedFinite(values) {
  const kept = [];
  for (const value of values) if (Number.isFinite(value)) kept.push(value);
  return Float64Array.from(kept).sort();
}

/** Nearest-rank percentile of sorted values; p in 0..100. */
export function percentile(sorted, p) {
  if (sorted.length === 0) return NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))];
}

function round(value, digits = 3) {
  if (!Number.isFinite(value)) return null;
  const scale = 10 ** digits;
  return Math.round(value * scale) / scale;
}

/** count, mean, min, p50, p90, p99, p99.9, max of a list of milliseconds, rounded to the microsecond. */
export function summarize(values) {
  const sorted = sortedFinite(values);
  let sum = 0;
  for (const value of sorted) sum += value;
  return {
    count: sorted.length,
    meanMs: round(sum / sorted.length),
    minMs: round(sorted[0] ?? NaN),
    p50Ms: round(percentile(sorted, 50)),
    p90Ms: round(percentile(sorted, 90)),
    p99Ms: round(percentile(sorted, 99)),
    p999Ms: round(percentile(sorted, 99.9)),
    maxMs: round(sorted[sorted.length - 1] ?? NaN),
  };
}

/** Counts per bucket [edge_i, edge_i+1), with the last bucket open-ended. */
export function histogram(values, edgesMs) {
  const sorted = sortedFinite(values);
  const buckets = [];
  for (let index = 0; index < edgesMs.length; index++) {
    const low = edgesMs[index];
    const high = edgesMs[index + 1] ?? Infinity;
    let count = 0;
    for (const value of sorted) if (value >= low && value < high) count++;
    buckets.push({
      range: Number.isFinite(high) ? `${low}-${high} ms` : `>= ${low} ms`,
      count,
      share: sorted.length === 0 ? 0 : round(count / sorted.length, 5),
    });
  }
  return buckets;
}

/** Resident and peak-resident memory of a process, in MB, from /proc/<pid>/status. */
export function readMemory(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const field = (name) => {
    const match = new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status);
    return match === null ? NaN : Number(match[1]) / 1024;
  };
  return { rssMb: round(field('VmRSS'), 1), hwmMb: round(field('VmHWM'), 1) };
}

// Clock ticks per second for /proc/<pid>/stat; 100 on every Linux this runs on (getconf CLK_TCK).
const ticksPerSecond = 100;

/**
 * User plus system CPU time so far, in ms, of a whole process (`pid`) or of one of its threads
 * (`{ pid, thread }`; the main thread's id is the pid).
 */
export function readCpuMs(target) {
  const file =
    typeof target === 'number' ? `/proc/${target}/stat` : `/proc/${target.pid}/task/${target.thread}/stat`;
  const stat = readFileSync(file, 'utf8');
  // Fields after the command name (which may hold spaces) start at field 3.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const userTicks = Number(fields[11]);
  const systemTicks = Number(fields[12]);
  return ((userTicks + systemTicks) * 1000) / ticksPerSecond;
}

/** Machine-wide CPU time counters (ticks) from the first line of /proc/stat. */
export function readMachineCpu() {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0];
  const [user, nice, system, idle, iowait, irq, softirq, steal] = line
    .trim()
    .split(/\s+/)
    .slice(1)
    .map(Number);
  return { user: user + nice, system, idle: idle + iowait, irq: irq + softirq, steal };
}

/** Share of all CPU time spent in each state between two readMachineCpu() readings. */
export function machineCpuShares(before, after) {
  const delta = {};
  let total = 0;
  for (const key of Object.keys(before)) {
    delta[key] = after[key] - before[key];
    total += delta[key];
  }
  const shares = {};
  for (const key of Object.keys(delta)) shares[key] = total === 0 ? 0 : round(delta[key] / total, 3);
  return shares;
}

/**
 * CPU used by the given processes (or threads) and by the machine over one measured run. `others`
 * is what the rest of the machine used meanwhile (other programs, kernel threads), in cores.
 * Entries named "process.thread" are threads, already counted in their process.
 */
export function startCpuWindow(pids) {
  const startedAt = performance.now();
  const before = Object.fromEntries(Object.entries(pids).map(([name, pid]) => [name, readCpuMs(pid)]));
  const machineBefore = readMachineCpu();
  return () => {
    const elapsedMs = performance.now() - startedAt;
    const processCores = {};
    const processCpuMs = {};
    let counted = 0;
    for (const [name, pid] of Object.entries(pids)) {
      processCpuMs[name] = readCpuMs(pid) - before[name];
      processCores[name] = round(processCpuMs[name] / elapsedMs, 3);
      if (!name.includes('.')) counted += processCpuMs[name] / elapsedMs;
    }
    const machine = machineCpuShares(machineBefore, readMachineCpu());
    const cpus = os.availableParallelism();
    const busyCores = (machine.user + machine.system + machine.irq) * cpus;
    processCores.others = round(Math.max(0, busyCores - counted), 2);
    return { elapsedMs, processCores, processCpuMs, machine };
  };
}

/** Joins CPU windows of several slices of one run into one, weighting by their length. */
export function mergeCpuWindows(windows) {
  const elapsedMs = windows.reduce((sum, window) => sum + window.elapsedMs, 0);
  const processCpuMs = {};
  const processCores = {};
  const machine = {};
  for (const window of windows) {
    for (const [name, value] of Object.entries(window.processCpuMs))
      processCpuMs[name] = (processCpuMs[name] ?? 0) + value;
    for (const [name, value] of Object.entries(window.processCores))
      processCores[name] = (processCores[name] ?? 0) + (value * window.elapsedMs) / elapsedMs;
    for (const [name, value] of Object.entries(window.machine))
      machine[name] = (machine[name] ?? 0) + (value * window.elapsedMs) / elapsedMs;
  }
  for (const name of Object.keys(processCores)) processCores[name] = round(processCores[name], 3);
  for (const name of Object.keys(machine)) machine[name] = round(machine[name], 3);
  return { elapsedMs: round(elapsedMs, 0), processCores, processCpuMs, machine };
}

/**
 * Watches the machine for `durationMs` while this process idles: how many cores other programs
 * use, the hypervisor's steal, and how late this process's timers fire (scheduling noise).
 */
export async function probeMachineNoise(durationMs) {
  const delay = monitorEventLoopDelay({ resolution: 1 });
  delay.enable();
  const machineBefore = readMachineCpu();
  await new Promise((resolve) => setTimeout(resolve, durationMs));
  delay.disable();
  const machine = machineCpuShares(machineBefore, readMachineCpu());
  const cpus = os.availableParallelism();
  return {
    durationMs,
    busyCores: round((machine.user + machine.system + machine.irq) * cpus, 2),
    stealShare: machine.steal,
    timerDelayP99Ms: round(delay.percentile(99) / 1e6 - 1, 2),
    timerDelayMaxMs: round(delay.max / 1e6 - 1, 2),
  };
}

/** Samples a process's RSS every `intervalMs` until stopped; keeps the peak. */
export function startMemorySampler(pid, intervalMs = 250) {
  let peakMb = 0;
  let samples = 0;
  const take = () => {
    try {
      const { rssMb } = readMemory(pid);
      samples++;
      if (rssMb > peakMb) peakMb = rssMb;
    } catch {
      // The process is gone; the caller sees it elsewhere.
    }
  };
  take();
  const timer = setInterval(take, intervalMs);
  return {
    sampleNow: () => {
      take();
      return readMemory(pid);
    },
    stop: () => {
      clearInterval(timer);
      take();
      return { peakRssMb: peakMb, samples };
    },
  };
}

export { round };
