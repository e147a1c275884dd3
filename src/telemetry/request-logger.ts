// Logs one JSON line per finished request (pino), every breaker transition, budget alert and token-average hit.
import type { Logger } from 'pino';
import type { EventBus } from './event-bus.js';

export function subscribeRequestLogger(events: EventBus, logger: Logger): void {
  events.on('request:end', (event) => {
    const fields = {
      requestId: event.requestId,
      traceId: event.trace.traceId,
      model: event.requestedModel,
      provider: event.providerId,
      servedModel: event.servedModel,
      stream: event.stream,
      status: event.status,
      outcome: event.outcome,
      errorCode: event.errorCode,
      attempts: event.attempts.length,
      totalMs: Math.round(event.totalMs * 1000) / 1000,
      upstreamMs: Math.round(event.upstreamMs * 1000) / 1000,
      overheadMs: Math.round(event.overheadMs * 1000) / 1000,
      inputTokens: event.usage?.inputTokens,
      outputTokens: event.usage?.outputTokens,
      ...event.metadata,
    };
    if (event.outcome === 'ok') logger.info(fields, 'request');
    else logger.warn({ ...fields, errorMessage: event.errorMessage }, 'request failed');
  });
  events.on('breaker:transition', (transition) => {
    logger.warn(transition, `circuit breaker ${transition.target}: ${transition.from} -> ${transition.to}`);
  });
  events.on('budget:threshold', (alert) => {
    const message = `budget ${alert.scope}:${alert.id} ${alert.period} ${alert.periodKey} at ${alert.thresholdPercent}%`;
    if (alert.thresholdPercent >= 100) logger.error(alert, message);
    else logger.warn(alert, message);
  });
  events.on('limit:hit', (hit) => {
    // Per-request hits are in the request's own log line (its error code); the average is not.
    if (hit.limit === 'tokens:average')
      logger.warn(hit, `token average ${hit.value} over target ${hit.limitValue}`);
    else logger.debug(hit, `${hit.limit} ${hit.action}`);
  });
}
