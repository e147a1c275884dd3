// The `telemetry` section: the record store, previews, JSONL files, StatsD, Prometheus and OpenTelemetry traces.
import { z } from 'zod';
import { statsdSchema } from './statsd-schema.js';

const day = 24 * 60 * 60 * 1000;

export const telemetrySchema = z.strictObject({
  store: z
    .strictObject({
      enabled: z.boolean().default(true),
      path: z.string().min(1).default('./data/keel.db').describe('SQLite file; its directory is created.'),
      rawRetentionMs: z
        .number()
        .int()
        .positive()
        .default(7 * day)
        .describe('How long raw request records are kept.'),
      rollupRetentionMs: z
        .number()
        .int()
        .positive()
        .default(90 * day)
        .describe('How long per-minute and per-five-minute rollups are kept.'),
      hourlyRollupRetentionMs: z
        .number()
        .int()
        .positive()
        .default(400 * day)
        .describe('How long per-hour and per-day rollups are kept (long ranges read them).'),
      batchSize: z.number().int().positive().default(500).describe('Records written per transaction.'),
      flushIntervalMs: z
        .number()
        .int()
        .positive()
        .default(1000)
        .describe('Longest a record waits in memory.'),
      spoolPath: z
        .string()
        .min(1)
        .default('./data/spool.jsonl')
        .describe('Where records wait while the store is failing; replayed when it recovers.'),
    })
    .prefault({}),
  content: z
    .strictObject({
      capture: z
        .boolean()
        .default(true)
        .describe('Keep prompt and response previews; false keeps no content.'),
      redact: z
        .boolean()
        .default(true)
        .describe('Redact emails, phones, cards, secrets and IPs in previews.'),
      previewChars: z.number().int().min(0).max(1000).default(200),
    })
    .prefault({}),
  jsonl: z
    .strictObject({
      enabled: z.boolean().default(false),
      dir: z
        .string()
        .min(1)
        .default('./data/telemetry')
        .describe('One JSON object per request, a file per day.'),
      maxBytes: z
        .number()
        .int()
        .positive()
        .default(100 * 1024 * 1024),
      maxFiles: z.number().int().positive().default(30),
    })
    .prefault({}),
  statsd: statsdSchema.prefault({}),
  metrics: z
    .strictObject({
      enabled: z.boolean().default(true).describe('Serve Prometheus metrics at GET /metrics.'),
    })
    .prefault({}),
  tracing: z
    .strictObject({
      enabled: z
        .boolean()
        .default(false)
        .describe('Export OpenTelemetry spans (a span per request and per attempt) over OTLP/HTTP.'),
      endpoint: z
        .url()
        .default('http://127.0.0.1:4318/v1/traces')
        .describe("The collector's OTLP/HTTP traces URL, path included."),
      headers: z
        .record(z.string(), z.string())
        .default({})
        .describe('Sent with every export (e.g. an API key as ${ENV_VAR}); never logged.'),
      serviceName: z.string().min(1).default('keel').describe('The service.name resource attribute.'),
      sampleRatio: z
        .number()
        .min(0)
        .max(1)
        .default(1)
        .describe(
          "Share of requests arriving without a traceparent that are traced; with one, the caller's sampled flag decides.",
        ),
      exportTimeoutMs: z
        .number()
        .int()
        .positive()
        .default(10_000)
        .describe('Longest one export may take, retries included.'),
      maxQueueSize: z
        .number()
        .int()
        .positive()
        .default(2048)
        .describe('Spans waiting for export; more are dropped, never waited for.'),
    })
    .prefault({}),
});
