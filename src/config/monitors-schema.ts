// The `monitors` and `notifications` sections: monitors as code and the webhooks they notify (evaluation not wired yet).
import { z } from 'zod';
import { MONITOR_METRICS, parseMonitorMetric, parseWindow } from '../monitors/read-monitor-metric.js';

const id = z
  .string()
  .min(1)
  .max(64)
  .regex(
    /^[A-Za-z0-9][A-Za-z0-9._-]*$/,
    'use letters, digits, ".", "_" and "-", starting with a letter or digit',
  );

/** A window such as `5m`, `1h` or `30d`; checked with {@link parseWindow}, kept as written. */
const windowText = z.string().superRefine((text, context) => {
  try {
    parseWindow(text);
  } catch (error) {
    context.addIssue({ code: 'custom', input: text, message: (error as Error).message });
  }
});

const metric = z
  .string()
  .superRefine((text, context) => {
    try {
      parseMonitorMetric(text);
    } catch (error) {
      context.addIssue({ code: 'custom', input: text, message: (error as Error).message });
    }
  })
  .describe(`What the monitor watches; one of: ${MONITOR_METRICS.join(', ')}.`);

const dimensions = ['provider', 'model', 'environment', 'application'] as const;

/** Which requests count: an SLO's `good` expression after parsing. */
export interface GoodRequestCriteria {
  /** The request succeeded. */
  status?: 'ok';
  /** The request finished in less than this many milliseconds. */
  latencyMs?: number;
}

const GOOD_HINT =
  'write clauses joined by "and": status=ok, latency<MILLISECONDS, e.g. "status=ok and latency<5000"';

/**
 * Parses an SLO's `good` expression such as `status=ok and latency<5000`.
 *
 * @throws RangeError naming the bad clause and the accepted form.
 * @example parseGoodExpression('status=ok and latency<5000') // { status: 'ok', latencyMs: 5000 }
 */
export function parseGoodExpression(text: string): GoodRequestCriteria {
  const criteria: GoodRequestCriteria = {};
  const clauses = text.trim().split(/\s+and\s+/i);
  for (const clause of clauses) {
    const compact = clause.replace(/\s+/g, '');
    const latency = /^latency<([1-9]\d*)(?:ms)?$/.exec(compact);
    if (compact === 'status=ok' && criteria.status === undefined) {
      criteria.status = 'ok';
    } else if (latency?.[1] !== undefined && criteria.latencyMs === undefined) {
      criteria.latencyMs = Number(latency[1]);
    } else {
      throw new RangeError(
        `cannot read ${JSON.stringify(clause)} in good expression ${JSON.stringify(text)}; ${GOOD_HINT}`,
      );
    }
  }
  return criteria;
}

const goodExpression = z
  .string()
  .superRefine((text, context) => {
    try {
      parseGoodExpression(text);
    } catch (error) {
      context.addIssue({ code: 'custom', input: text, message: (error as Error).message });
    }
  })
  .describe('Which requests are good, e.g. "status=ok and latency<5000" (latency in ms).');

const commonFields = {
  id: id.describe('Names the monitor in incidents, notifications and the API.'),
  title: z
    .string()
    .min(1)
    .max(200)
    .optional()
    .describe('Shown in incidents and notifications; default: made from the query.'),
  filters: z
    .strictObject({
      environment: z.string().min(1).optional(),
      application: z.string().min(1).optional(),
      provider: z.string().min(1).optional(),
      model: z.string().min(1).optional(),
    })
    .optional()
    .describe('Only requests with these values count.'),
  noData: z
    .enum(['no-data', 'ok', 'keep'])
    .default('no-data')
    .describe('State when the window holds no value: NO_DATA, OK, or keep the previous state.'),
  renotifyIntervalMs: z
    .number()
    .int()
    .positive()
    .optional()
    .describe('Notify again while still firing after this long; default: once per transition.'),
  priority: z.number().int().min(1).max(5).default(3).describe('1..5; an incident it opens is SEV-1..SEV-5.'),
  tags: z.array(z.string().min(1).max(64)).max(50).default([]),
  runbook: z.string().max(16_000).optional().describe('Markdown attached to the incidents it opens.'),
  notify: z
    .array(z.string().min(1).max(64))
    .max(20)
    .default([])
    .describe('Ids of notifications.webhooks to call.'),
  muted: z.boolean().default(false).describe('Evaluated and recorded, but notifies no one.'),
};

const queryFields = {
  metric,
  groupBy: z
    .array(z.enum(dimensions))
    .default([])
    .describe('One evaluation (and state) per combination of these dimensions.'),
  window: windowText.describe('Trailing window the metric is computed over, e.g. 5m.'),
  warn: z.number().optional().describe('WARN beyond this value.'),
  critical: z.number().optional().describe('ALERT beyond this value.'),
  recoveryWarn: z.number().optional().describe('Leave WARN only once back past this value; default: warn.'),
  recoveryCritical: z
    .number()
    .optional()
    .describe('Leave ALERT only once back past this value; default: critical.'),
  direction: z
    .enum(['above', 'below'])
    .default('above')
    .describe('Whether values above or below the thresholds are bad.'),
  minRequests: z
    .number()
    .int()
    .nonnegative()
    .default(0)
    .describe('Fewer requests in the window than this count as no data.'),
};

export const thresholdMonitorSchema = z.strictObject({
  ...commonFields,
  ...queryFields,
  type: z.literal('threshold'),
});

/** Anomaly monitors judge deviations, not levels: the threshold fields are not theirs. */
const {
  warn: _warn,
  critical: _critical,
  recoveryWarn: _recoveryWarn,
  recoveryCritical: _recoveryCritical,
  ...seriesQueryFields
} = queryFields;

export const anomalyMonitorSchema = z.strictObject({
  ...commonFields,
  ...seriesQueryFields,
  type: z.literal('anomaly'),
  deviations: z
    .number()
    .positive()
    .default(3)
    .describe('How many robust deviations from the baseline is abnormal.'),
  recoveryDeviations: z
    .number()
    .nonnegative()
    .optional()
    .describe('Leave ALERT only once back within this many deviations; default: 0.75 × deviations.'),
  minHistory: z
    .number()
    .int()
    .positive()
    .default(12)
    .describe('Baseline points needed before the monitor judges anything.'),
  minSpread: z
    .number()
    .positive()
    .optional()
    .describe(
      'Smallest spread the baseline may have, in the metric’s unit, so flat history does not alert on noise; default by unit (50 ms, 0.02 of a rate, 5 requests, 50 tokens, 0.01 USD).',
    ),
  direction: z
    .enum(['above', 'below', 'both'])
    .default('above')
    .describe('Whether values above, below or on either side of the baseline are abnormal.'),
  history: windowText.default('7d').describe('Trailing history the baseline is built from, e.g. 7d.'),
  seasonality: z
    .enum(['daily', 'none'])
    .default('daily')
    .describe('daily: compare with the same hour of previous days.'),
});

export const forecastMonitorSchema = z.strictObject({
  ...commonFields,
  ...queryFields,
  type: z.literal('forecast'),
  horizon: windowText.default('24h').describe('How far ahead to forecast, e.g. 24h.'),
  budgetUsd: z
    .number()
    .positive()
    .optional()
    .describe('ALERT when the forecast over the horizon passes this; a shorthand for critical.'),
  history: windowText.default('7d').describe('Trailing history the model is fitted on.'),
});

export const sloMonitorSchema = z.strictObject({
  ...commonFields,
  type: z.literal('slo'),
  objective: z.number().gt(0).lt(1).describe('Share of good requests promised, e.g. 0.99.'),
  window: windowText.default('30d').describe('The SLO period, e.g. 30d.'),
  good: goodExpression,
});

export const monitorDefinitionSchema = z.discriminatedUnion('type', [
  thresholdMonitorSchema,
  anomalyMonitorSchema,
  forecastMonitorSchema,
  sloMonitorSchema,
]);

/** The monitor types, as written in `type:`. */
export const monitorTypes = ['threshold', 'anomaly', 'forecast', 'slo'] as const;

export const monitorsSchema = z.strictObject({
  evaluationIntervalMs: z
    .number()
    .int()
    .min(1000)
    .default(15_000)
    .describe('How often every monitor is evaluated; default 15 s.'),
  definitions: z.array(monitorDefinitionSchema).default([]),
  defaultPack: z
    .boolean()
    .default(true)
    .describe('Run the default monitors (docs/configuration.md#default-monitors) when definitions is empty.'),
  historyRetentionMs: z
    .number()
    .int()
    .positive()
    .default(7 * 86_400_000)
    .describe('How long evaluations and transitions are kept; default 7 days.'),
});

export const incidentsSchema = z.strictObject({
  autoResolve: z
    .boolean()
    .default(true)
    .describe('Resolve a stable incident after quietPeriodMs without a new alert; false: only on request.'),
  quietPeriodMs: z
    .number()
    .int()
    .nonnegative()
    .default(15 * 60_000)
    .describe('How long a recovered (stable) incident stays quiet before it resolves; default 15 min.'),
  publicUrl: z
    .url({ protocol: /^https?$/ })
    .optional()
    .describe(
      "Keel's address as people reach it, for dashboard links in notifications, e.g. https://keel.example.com.",
    ),
  notify: z
    .array(z.string().min(1))
    .default([])
    .describe(
      'Webhook ids told about incidents declared by hand (monitor incidents use the monitor’s notify).',
    ),
});

export const opsSchema = z.strictObject({
  path: z
    .string()
    .min(1)
    .default('./data/ops.db')
    .describe(
      'SQLite file for monitor state and history, incidents and the notification outbox; `:memory:` for none.',
    ),
});

export const webhookSchema = z.strictObject({
  id: id.describe('Named by monitors in notify.'),
  url: z.url({ protocol: /^https?$/ }).describe('Receives a POST per notification.'),
  format: z
    .enum(['json', 'slack'])
    .default('json')
    .describe('json: Keel’s payload; slack: a Slack-compatible message.'),
  headers: z.record(z.string(), z.string()).optional().describe('Extra headers, e.g. authorization.'),
});

export const notificationsSchema = z.strictObject({
  webhooks: z.array(webhookSchema).default([]),
  budgetTargets: z
    .array(z.string().min(1))
    .optional()
    .describe('Webhook ids told about budget thresholds; default: every webhook, [] for none.'),
});

/** The `monitors` section after defaults. */
export type MonitorsConfig = z.output<typeof monitorsSchema>;
/** One monitor definition after defaults. */
export type MonitorDefinition = z.output<typeof monitorDefinitionSchema>;
/** The `incidents` section after defaults. */
export type IncidentsConfig = z.output<typeof incidentsSchema>;
/** The `notifications` section after defaults. */
export type NotificationsConfig = z.output<typeof notificationsSchema>;
