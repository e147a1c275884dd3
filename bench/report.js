// Output of the benchmark: the table on stdout and the JSON results file.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';

function table(rows) {
  const widths = rows[0].map((_cell, column) => Math.max(...rows.map((row) => String(row[column]).length)));
  return rows
    .map((row) =>
      row
        .map((cell, column) =>
          column === 0 ? String(cell).padEnd(widths[column]) : String(cell).padStart(widths[column]),
        )
        .join('  '),
    )
    .join('\n');
}

function cpuLine(cpu) {
  const cores = Object.entries(cpu.processCores)
    .map(([name, value]) => `${name} ${value.toFixed(2)}`)
    .join(', ');
  const machine = Object.entries(cpu.machine)
    .map(([name, value]) => `${name} ${Math.round(value * 100)}%`)
    .join(' ');
  return `cores used: ${cores}; machine: ${machine}`;
}

const ms = (value) => (value === null || value === undefined ? '-' : value.toFixed(3));

export function report(results) {
  const lines = [];
  const { latency, throughput, streams, memory } = results;
  const noise = results.machineNoise;
  lines.push(
    '',
    `Keel benchmark  ${results.machine.cpus} CPU ${results.machine.cpuModel}, node ${results.machine.node}`,
    `Before the run, other programs used ${noise.busyCores} cores, steal ${Math.round(noise.stealShare * 100)}%, ` +
      `idle timer lateness p99 ${ms(noise.timerDelayP99Ms)} ms, max ${ms(noise.timerDelayMaxMs)} ms` +
      (noise.quiet ? '' : '  <- BUSY MACHINE: figures below are skewed'),
  );
  if (latency !== undefined) {
    const o = results.options;
    const row = (label, run) => [
      label,
      ms(run.latency.p50Ms),
      ms(run.latency.p90Ms),
      ms(run.latency.p99Ms),
      ms(run.latency.p999Ms),
      ms(run.latency.maxMs),
      run.statuses['200'] ?? 0,
      run.completed - (run.statuses['200'] ?? 0),
    ];
    const addedRow = (label, added) => [
      label,
      ms(added.p50Ms),
      ms(added.p90Ms),
      ms(added.p99Ms),
      ms(added.p999Ms),
      '',
      '',
      '',
    ];
    const verdict = (value) => (value !== null && value < 1 ? 'MET' : 'MISSED');
    lines.push(
      '',
      `Latency at ${o.ratePerSecond} req/s, open loop, ${o.durationS} s per target in ${o.slices} interleaved slices, ` +
        `upstream delay ${o.upstreamDelayMs} ms (ms, from send to last byte)`,
      table([
        ['', 'p50', 'p90', 'p99', 'p99.9', 'max', 'ok', 'errors'],
        row('direct to upstream', latency.direct),
        ...(latency.reference === undefined ? [] : [row('through a bare Node proxy', latency.reference)]),
        row('through Keel', latency.keel),
        ...(latency.reference === undefined
          ? []
          : [addedRow('added by the bare proxy', latency.referenceAddedLatency)]),
        addedRow('added by Keel', latency.addedLatency),
        [
          'x-keel-overhead-ms header',
          ms(latency.overheadHeader.p50Ms),
          ms(latency.overheadHeader.p90Ms),
          ms(latency.overheadHeader.p99Ms),
          ms(latency.overheadHeader.p999Ms),
          ms(latency.overheadHeader.maxMs),
          latency.overheadHeader.count,
          '',
        ],
      ]),
      `  "added" = percentile through the hop minus the same percentile direct. From the scheduled send time ` +
        `instead: Keel adds p50 ${ms(latency.addedLatency.fromSchedule.p50Ms)}, p99 ${ms(latency.addedLatency.fromSchedule.p99Ms)}; ` +
        `generator send lag p99 ${ms(latency.keel.generatorSendLag.p99Ms)} (Keel run), ${ms(latency.direct.generatorSendLag.p99Ms)} (direct)`,
      `  CPU, direct run:     ${cpuLine(latency.direct.cpu)}`,
      ...(latency.reference === undefined
        ? []
        : [
            `  CPU, bare proxy run: ${cpuLine(latency.reference.cpu)}; proxy ${latency.reference.cpuPerRequestMs} ms CPU per request`,
          ]),
      `  CPU, Keel run:       ${cpuLine(latency.keel.cpu)}; Keel ${latency.keel.cpuPerRequestMs} ms CPU per request`,
      '',
      'x-keel-overhead-ms histogram (through-Keel run)',
      table([
        ['bucket', 'count', 'share'],
        ...latency.overheadHeader.histogram.map((bucket) => [
          bucket.range,
          bucket.count,
          `${(bucket.share * 100).toFixed(2)} %`,
        ]),
      ]),
      `  target "Keel's overhead p99 < 1 ms at ${o.ratePerSecond} req/s": by the header ${verdict(latency.overheadHeader.p99Ms)} ` +
        `(p99 ${ms(latency.overheadHeader.p99Ms)} ms); by added latency ${verdict(latency.addedLatency.p99Ms)} ` +
        `(p99 ${ms(latency.addedLatency.p99Ms)} ms)`,
    );
  }
  if (throughput !== undefined) {
    lines.push(
      '',
      `Max throughput, closed loop, ${results.options.connections} connections, ${results.options.throughputS} s per target ` +
        `in ${results.options.slices} interleaved slices, upstream delay 0 ms`,
      table([
        ['', 'req/s', 'p50 ms', 'p99 ms', 'ok', 'errors'],
        ...[
          ['direct to upstream', throughput.direct],
          ['through Keel', throughput.keel],
        ].map(([label, run]) => [
          label,
          run.requestsPerSecond,
          ms(run.latency.p50Ms),
          ms(run.latency.p99Ms),
          run.ok,
          Object.values(run.errors).reduce((sum, count) => sum + count, 0) +
            Object.entries(run.statuses).reduce(
              (sum, [status, count]) => sum + (status === '200' ? 0 : count),
              0,
            ),
        ]),
      ]),
      `  Keel reaches ${throughput.keelShareOfDirect} of direct; overhead header p50 ` +
        `${ms(throughput.keel.overheadHeader.p50Ms)} ms, p99 ${ms(throughput.keel.overheadHeader.p99Ms)} ms`,
      `  CPU, direct run:  ${cpuLine(throughput.direct.cpu)}`,
      `  CPU, Keel run:    ${cpuLine(throughput.keel.cpu)}; Keel ${throughput.keel.cpuPerRequestMs} ms CPU per request`,
    );
  }
  lines.push(
    '',
    'Keel resident memory (MB)',
    table([
      ['', 'RSS MB'],
      ['idle, just started', memory.idleAtStartMb],
      ...(memory.idleAfterLoadMb === undefined
        ? []
        : [['idle, after the latency and throughput runs', memory.idleAfterLoadMb]]),
      ...(streams === undefined
        ? []
        : [
            ['stream phase (fresh Keel): idle before', streams.rssBeforeMb],
            [`holding ${streams.requested} open streams`, streams.rssWhileHoldingMb],
            ['peak sampled in the stream phase', streams.peakRssSampledMb],
            ['VmHWM of that process', streams.vmHwmMb],
          ]),
    ]),
  );
  if (streams !== undefined) {
    lines.push(
      `  streams: ${streams.firstChunks}/${streams.requested} got a first chunk (all after ${streams.allFirstChunksAfterMs} ms), ` +
        `${streams.completedWithDone} ended with [DONE], ${streams.errorEvents} error events, errors ${JSON.stringify(streams.errors)}; ` +
        `about ${streams.rssPerStreamKb} KB RSS per open stream`,
      `  target: ${streams.requested} concurrent streams < 200 MB RSS -> ${streams.peakRssSampledMb < 200 ? 'MET' : 'MISSED'} (peak ${streams.peakRssSampledMb} MB)`,
    );
  }
  return `${lines.join('\n')}\n`;
}

export async function writeResults(file, results) {
  mkdirSync(path.dirname(file), { recursive: true });
  let text = `${JSON.stringify(results, null, 2)}\n`;
  try {
    // Formatted like the rest of the repository, so `prettier --check .` stays green.
    const prettier = await import('prettier');
    text = await prettier.format(text, { parser: 'json', ...(await prettier.resolveConfig(file)) });
  } catch {
    // Plain JSON is fine too.
  }
  writeFileSync(file, text);
}
