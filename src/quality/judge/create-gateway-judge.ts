// The judge's call "through Keel itself": a gateway call marked application keel-judge, under its own deadline.
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { Gateway } from '../../gateway/gateway.js';
import { deadlineExceeded } from '../../reliability/deadline.js';
import { JUDGE_APPLICATION } from '../../config/quality-schema.js';
import { RandomTraceIds } from '../../telemetry/random-trace-ids.js';
import type { JudgeCall } from './quality-judge.js';

/**
 * Builds the {@link JudgeCall} that sends judge requests through the gateway, so they are routed,
 * retried, limited, priced and recorded like any call, under application `keel-judge`.
 * @example const judge = createGatewayJudge({ gateway, model: 'judge', timeoutMs: 30_000 })
 */
export function createGatewayJudge(options: {
  gateway: Pick<Gateway, 'complete'>;
  /** The judge model alias (or provider/model). */
  model: string;
  /** Deadline of one judge call; the gateway's own reliability.timeoutMs applies as well. */
  timeoutMs: number;
  /** Aborts every judge call in flight, with its reason (Keel shutting down). */
  signal?: AbortSignal | undefined;
}): JudgeCall {
  const traceIds = new RandomTraceIds();
  return async (request) => {
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(deadlineExceeded(options.timeoutMs)), options.timeoutMs);
    timer.unref();
    const { signal } = options;
    const onShutdown = () => abort.abort(signal?.reason);
    if (signal?.aborted === true) onShutdown();
    signal?.addEventListener('abort', onShutdown, { once: true });
    try {
      const completed = await options.gateway.complete({
        requestId: `judge-${randomUUID()}`,
        model: options.model,
        request,
        metadata: { application: JUDGE_APPLICATION },
        trace: { traceId: traceIds.next(), sampled: true },
        abort,
        arrivedAt: performance.now(),
      });
      completed.finish();
      return completed.result.text ?? '';
    } finally {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onShutdown);
    }
  };
}
