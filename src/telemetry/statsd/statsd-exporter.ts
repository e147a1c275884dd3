// Builds the hot-shots UDP client from `telemetry.statsd`, subscribes the metrics, and flushes them at shutdown.
import { StatsD } from 'hot-shots';
import type { StatsdConfig } from '../../config/index.js';
import type { Clock } from '../../spec/index.js';
import type { EventBus } from '../event-bus.js';
import type { MetricsSubscribeOptions } from '../metrics/metric-labels.js';
import { subscribeStatsdMetrics } from './statsd-metrics.js';

/** At most one log line per this many milliseconds about failed sends; the others are counted. */
export const errorLogIntervalMs = 60_000; // 1 min

export interface StatsdExporter {
  /** Metrics that could not be sent (or datagrams the socket refused) since start. */
  readonly errors: number;
  /** Stops listening, sends what is buffered and closes the socket. Never rejects. */
  close(): Promise<void>;
}

export interface StatsdExporterOptions extends MetricsSubscribeOptions {
  config: StatsdConfig;
  events: EventBus;
  clock: Clock;
  /**
   * Told about failed sends, rate-limited: the first failure, then at most one per
   * `errorLogIntervalMs`, with how many failed since the last report.
   */
  onError: (error: unknown, failedSinceLastReport: number) => void;
  /** Builds the client (tests pass options through to a real hot-shots client). */
  createClient?: ((options: ConstructorParameters<typeof StatsD>[0]) => StatsD) | undefined;
}

/**
 * Starts sending Keel's metrics over UDP. Nothing here can fail or slow a request: metrics are
 * appended to an in-memory buffer that goes out as one datagram when it is full or every
 * `flushIntervalMs`.
 * @example
 * const statsd = createStatsdExporter({ config: config.telemetry.statsd, events, clock, onError, ...metricOptions });
 * await statsd.close();
 */
export function createStatsdExporter(options: StatsdExporterOptions): StatsdExporter {
  const { config, clock } = options;
  const dogstatsd = config.protocol === 'dogstatsd';
  let errors = 0;
  let unreported = 0;
  let lastReportMs: number | undefined;
  const reportError = (error: unknown): void => {
    errors++;
    unreported++;
    const nowMs = clock.now();
    if (lastReportMs !== undefined && nowMs - lastReportMs < errorLogIntervalMs) return;
    lastReportMs = nowMs;
    const failed = unreported;
    unreported = 0;
    try {
      options.onError(error, failed);
    } catch {
      // A broken reporter must not turn a lost metric into a failed request.
    }
  };

  const createClient = options.createClient ?? ((clientOptions) => new StatsD(clientOptions));
  const client = createClient({
    // UDP only: Unix sockets (DD_DOGSTATSD_URL, DD_DOGSTATSD_SOCKET) need a native module Keel does not build.
    protocol: 'udp',
    // Left undefined, hot-shots reads DD_AGENT_HOST and DD_DOGSTATSD_PORT, then uses 127.0.0.1:8125.
    host: config.host,
    port: config.port,
    prefix: config.prefix,
    globalTags: dogstatsd ? config.globalTags : undefined,
    // hot-shots adds DD_ENV, DD_SERVICE, DD_VERSION, DD_ENTITY_ID and DD_TAGS as tags, and turns on
    // Datadog's extensions when such variables are set; plain StatsD has no tags at all.
    includeDataDogTags: dogstatsd,
    datadog: dogstatsd ? undefined : false,
    maxBufferSize: config.maxBufferBytes,
    bufferFlushInterval: config.flushIntervalMs,
    errorHandler: reportError,
  });
  const unsubscribe = subscribeStatsdMetrics(options.events, {
    client,
    protocol: config.protocol,
    durationType: config.durationType ?? (dogstatsd ? 'distribution' : 'timer'),
    sampleRate: config.sampleRate,
    metadataTags: config.metadataTags,
    costUsd: options.costUsd,
    providers: options.providers,
    knownModels: options.knownModels,
    onError: reportError,
  });

  let closing: Promise<void> | undefined;
  return {
    get errors() {
      return errors;
    },
    close: () => {
      closing ??= new Promise<void>((resolve) => {
        unsubscribe();
        try {
          client.close((error) => {
            if (error !== undefined && error !== null) reportError(error);
            resolve();
          });
        } catch (error) {
          reportError(error);
          resolve();
        }
      });
      return closing;
    },
  };
}
