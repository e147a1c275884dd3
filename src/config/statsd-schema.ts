// The `telemetry.statsd` section: metrics sent over UDP to a StatsD server or a Datadog agent.
import { z } from 'zod';

const allowedValues = z
  .array(z.string().min(1))
  .default([])
  .describe('Values used as tag values as sent; any other value is "other", none "default". Empty: no tag.');

export const statsdSchema = z
  .strictObject({
    enabled: z
      .boolean()
      .default(false)
      .describe('Send request metrics over UDP to a StatsD server or a Datadog agent (DogStatsD).'),
    host: z
      .string()
      .min(1)
      .optional()
      .describe('Host of the agent; default: the DD_AGENT_HOST environment variable, else 127.0.0.1.'),
    port: z
      .number()
      .int()
      .min(1)
      .max(65_535)
      .optional()
      .describe('UDP port of the agent; default: the DD_DOGSTATSD_PORT environment variable, else 8125.'),
    protocol: z
      .enum(['dogstatsd', 'statsd'])
      .default('dogstatsd')
      .describe('"dogstatsd": tags as |#key:value. "statsd": no tags; dimensions go into the metric name.'),
    prefix: z
      .string()
      .regex(/^[A-Za-z0-9_.-]*$/, 'use letters, digits, "_", "." or "-"')
      .default('keel.')
      .describe('Put before every metric name; a "." is added when it does not end in one.'),
    globalTags: z
      .record(z.string().min(1), z.string())
      .default({})
      .describe('Tags on every metric (dogstatsd only), e.g. { env: prod, service: keel }.'),
    sampleRate: z
      .number()
      .gt(0)
      .max(1)
      .default(1)
      .describe('Share of per-request metrics sent (0 < rate <= 1); the agent scales counts back up.'),
    durationType: z
      .enum(['distribution', 'histogram', 'timer'])
      .optional()
      .describe('Metric type of durations; default: distribution for dogstatsd, timer for statsd.'),
    metadataTags: z
      .strictObject({ environment: allowedValues, application: allowedValues })
      .prefault({})
      .describe('Client metadata headers used as tags of the request metrics, limited to listed values.'),
    maxBufferBytes: z
      .number()
      .int()
      .positive()
      .default(1432)
      .describe('Metrics are sent in datagrams of up to this many bytes (1432 fits a 1500-byte MTU).'),
    flushIntervalMs: z
      .number()
      .int()
      .positive()
      .default(1000)
      .describe('Longest a metric waits in the buffer before its datagram is sent.'),
  })
  .superRefine((statsd, context) => {
    if (statsd.protocol !== 'statsd') return;
    if (statsd.durationType === 'distribution' || statsd.durationType === 'histogram') {
      context.addIssue({
        code: 'custom',
        path: ['durationType'],
        input: statsd.durationType,
        message: 'plain statsd has no distribution or histogram type; use "timer" or protocol "dogstatsd"',
      });
    }
    if (Object.keys(statsd.globalTags).length > 0) {
      context.addIssue({
        code: 'custom',
        path: ['globalTags'],
        input: statsd.globalTags,
        message:
          'plain statsd has no tags; put them in prefix (e.g. "keel.prod.") or use protocol "dogstatsd"',
      });
    }
  });

export type StatsdConfig = z.output<typeof statsdSchema>;
