// Load drivers on undici: open loop at a fixed rate, closed loop at fixed concurrency, and many
// long-lived streams. Every driver is bounded by a request count and a wall-clock deadline.
import { setMaxListeners } from 'node:events';
import { performance } from 'node:perf_hooks';
import { Pool } from 'undici';

const chatPath = '/v1/chat/completions';

function chatBody(stream) {
  return JSON.stringify({
    model: 'bench',
    messages: [{ role: 'user', content: 'Say hello in one short sentence.' }],
    max_tokens: 32,
    ...(stream ? { stream: true, stream_options: { include_usage: true } } : {}),
  });
}

const jsonHeaders = { 'content-type': 'application/json', authorization: 'Bearer bench' };

const requestTimeoutMs = 10_000;

/**
 * A keep-alive connection pool for one origin. Use the same pool for warm-up and measurement, so
 * the measured run does not pay for opening connections (nor flood the server's accept queue).
 */
export function createPool(origin, connections) {
  return new Pool(origin, {
    connections,
    pipelining: 1,
    keepAliveTimeout: 60_000,
    headersTimeout: requestTimeoutMs,
    bodyTimeout: requestTimeoutMs,
  });
}

function countStatus(counts, key) {
  counts[key] = (counts[key] ?? 0) + 1;
}

/**
 * Sends `ratePerSecond` requests per second for `durationMs`, each on schedule whether or not the
 * earlier ones have answered (open loop). Latency is measured two ways: from the moment the request
 * was handed to undici, and from its scheduled time (which also counts the generator's own lag).
 */
export async function runOpenLoop(options) {
  const { pool, ratePerSecond, durationMs, timeoutMs = requestTimeoutMs } = options;
  const total = Math.max(1, Math.round((ratePerSecond * durationMs) / 1000));
  const intervalMs = 1000 / ratePerSecond;
  const body = chatBody(false);
  const latencyMs = new Float64Array(total).fill(NaN);
  const scheduledLatencyMs = new Float64Array(total).fill(NaN);
  const sendLagMs = new Float64Array(total).fill(NaN);
  const overheadMs = new Float64Array(total).fill(NaN);
  const statuses = {};
  const errors = {};
  let sent = 0;
  let finished = 0;
  let inFlight = 0;
  let maxInFlight = 0;
  let lastSentAt = 0;
  let resolveDone;
  const done = new Promise((resolve) => (resolveDone = resolve));
  const start = performance.now();

  const fire = (index) => {
    const scheduledAt = start + index * intervalMs;
    const sentAt = performance.now();
    lastSentAt = sentAt;
    sendLagMs[index] = sentAt - scheduledAt;
    inFlight++;
    if (inFlight > maxInFlight) maxInFlight = inFlight;
    pool
      .request({ path: chatPath, method: 'POST', headers: jsonHeaders, body })
      .then(async (response) => {
        await response.body.text();
        const endAt = performance.now();
        latencyMs[index] = endAt - sentAt;
        scheduledLatencyMs[index] = endAt - scheduledAt;
        countStatus(statuses, String(response.statusCode));
        const header = response.headers['x-keel-overhead-ms'];
        if (typeof header === 'string') overheadMs[index] = Number(header);
      })
      .catch((error) => countStatus(errors, error?.code ?? error?.name ?? 'error'))
      .finally(() => {
        inFlight--;
        finished++;
        if (finished === total) resolveDone();
      });
  };

  // Timer ticks (about 1 ms apart) send every request that is due. A busy loop would be more
  // punctual but would take a core from Keel and the upstream on a 2-core machine.
  const hardStopAt = start + durationMs + 5_000;
  await new Promise((resolve) => {
    const tick = () => {
      const now = performance.now();
      const due = Math.min(total, Math.floor((now - start) / intervalMs) + 1);
      while (sent < due) fire(sent++);
      if (sent >= total || now > hardStopAt) resolve();
      else setTimeout(tick, 1);
    };
    tick();
  });
  const sendingMs = lastSentAt - start;
  // Bounded wait for the stragglers.
  const waitTimer = setTimeout(resolveDone, timeoutMs + 1_000);
  await done;
  clearTimeout(waitTimer);
  const elapsedMs = performance.now() - start;
  return {
    requested: total,
    sent,
    completed: finished,
    statuses,
    errors,
    targetRatePerSecond: ratePerSecond,
    achievedSendRatePerSecond: sendingMs > 0 ? ((sent - 1) * 1000) / sendingMs : NaN,
    elapsedMs,
    maxInFlight,
    latencyMs,
    scheduledLatencyMs,
    sendLagMs,
    overheadMs,
  };
}

/**
 * Keeps `connections` requests in flight for `durationMs`: each worker sends the next request as soon
 * as the previous answer is read (closed loop). Gives the most requests per second the path sustains.
 */
export async function runClosedLoop(options) {
  const { pool, connections, durationMs, maxRequests = 5_000_000 } = options;
  const body = chatBody(false);
  const latencyMs = [];
  const overheadMs = [];
  const statuses = {};
  const errors = {};
  let issued = 0;
  const start = performance.now();
  const stopAt = start + durationMs;
  const worker = async () => {
    while (performance.now() < stopAt && issued < maxRequests) {
      issued++;
      const sentAt = performance.now();
      try {
        const response = await pool.request({ path: chatPath, method: 'POST', headers: jsonHeaders, body });
        await response.body.text();
        latencyMs.push(performance.now() - sentAt);
        countStatus(statuses, String(response.statusCode));
        const header = response.headers['x-keel-overhead-ms'];
        if (typeof header === 'string') overheadMs.push(Number(header));
      } catch (error) {
        countStatus(errors, error?.code ?? error?.name ?? 'error');
      }
    }
  };
  await Promise.all(Array.from({ length: connections }, worker));
  const elapsedMs = performance.now() - start;
  const ok = statuses['200'] ?? 0;
  return {
    connections,
    issued,
    ok,
    statuses,
    errors,
    elapsedMs,
    requestsPerSecond: (ok * 1000) / elapsedMs,
    latencyMs,
    overheadMs,
  };
}

/**
 * Opens `count` streaming requests (in batches, so the listen backlog is not flooded), reports when
 * every one has received its first body chunk, and reads them all to the end. `onAllFirstChunks`
 * runs once, as soon as all streams are open and flowing. Aborts whatever is left at `deadlineMs`.
 */
export async function runStreams(options) {
  const {
    origin,
    count,
    batchSize = 100,
    batchGapMs = 50,
    firstChunkTimeoutMs = 20_000,
    deadlineMs,
    onAllFirstChunks,
  } = options;
  const pool = new Pool(origin, {
    connections: count + 16,
    pipelining: 1,
    keepAliveTimeout: 30_000,
    headersTimeout: firstChunkTimeoutMs,
    bodyTimeout: deadlineMs,
  });
  const abort = new AbortController();
  // One listener per open stream.
  setMaxListeners(count + 16, abort.signal);
  const body = chatBody(true);
  const statuses = {};
  const errors = {};
  let firstChunks = 0;
  let completedWithDone = 0;
  let completedWithoutDone = 0;
  let errorEvents = 0;
  const start = performance.now();
  let allFirstAt;
  let resolveAllFirst;
  const allFirst = new Promise((resolve) => (resolveAllFirst = resolve));

  const one = async () => {
    try {
      const response = await pool.request({
        path: chatPath,
        method: 'POST',
        headers: jsonHeaders,
        body,
        signal: abort.signal,
      });
      countStatus(statuses, String(response.statusCode));
      let first = true;
      let tail = '';
      for await (const chunk of response.body) {
        if (first) {
          first = false;
          firstChunks++;
          if (firstChunks === count) {
            allFirstAt = performance.now();
            resolveAllFirst();
          }
        }
        const text = tail + chunk.toString('utf8');
        if (text.includes('"error":{')) errorEvents++;
        tail = text.slice(-32);
      }
      if (tail.includes('[DONE]')) completedWithDone++;
      else completedWithoutDone++;
    } catch (error) {
      countStatus(errors, error?.code ?? error?.name ?? 'error');
    }
  };

  const all = [];
  for (let opened = 0; opened < count; opened += batchSize) {
    for (let index = opened; index < Math.min(count, opened + batchSize); index++) all.push(one());
    await new Promise((resolve) => setTimeout(resolve, batchGapMs));
  }
  const firstTimer = setTimeout(resolveAllFirst, firstChunkTimeoutMs);
  await allFirst;
  clearTimeout(firstTimer);
  const holding = { streamsWithFirstChunk: firstChunks, atMs: performance.now() - start };
  const heldSample = await onAllFirstChunks(holding);
  const deadlineTimer = setTimeout(() => abort.abort(new Error('benchmark deadline')), deadlineMs);
  await Promise.all(all);
  clearTimeout(deadlineTimer);
  const elapsedMs = performance.now() - start;
  await pool.destroy();
  return {
    requested: count,
    statuses,
    errors,
    firstChunks,
    allFirstChunksAfterMs: allFirstAt === undefined ? null : allFirstAt - start,
    completedWithDone,
    completedWithoutDone,
    errorEvents,
    elapsedMs,
    held: heldSample,
  };
}
