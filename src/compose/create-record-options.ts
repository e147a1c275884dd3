// How request records get their cost and previews, from the telemetry and pricing config.
import type { KeelConfig } from '../config/index.js';
import { createQualityScorer } from '../quality/index.js';
import type { RecordBuilderOptions } from '../telemetry/build-request-record.js';
import type { RequestEndEvent } from '../telemetry/events.js';
import { computeCostUsd, createPriceBook } from '../telemetry/pricing/index.js';
import { preview } from '../telemetry/redact.js';

/**
 * Redaction looks at this many characters past the preview's end, so a secret that starts inside
 * the preview is still recognised whole, without scanning a long prompt on every request.
 */
const redactionLookaheadChars = 256;

export function createRecordOptions(config: Readonly<KeelConfig>): RecordBuilderOptions {
  const { content } = config.telemetry;
  const maxChars = content.previewChars;
  const providerTypes = new Map(config.providers.map((provider) => [provider.id, provider.type]));
  const priceBook = createPriceBook({ overrides: config.pricing.overrides });
  return {
    // Per Keel instance: the scorer keeps each route's answer-length baseline in memory.
    quality: createQualityScorer(),
    costUsd: (event: RequestEndEvent) => {
      if (event.usage === undefined || event.providerId === undefined) return undefined;
      // A cached answer called no provider: it cost nothing (its usage is still recorded).
      if (event.cacheHit === true) return 0;
      const price = priceBook.priceFor({
        providerType: event.providerType ?? providerTypes.get(event.providerId) ?? '',
        providerId: event.providerId,
        model: event.servedModel ?? event.attempts.at(-1)?.modelId ?? '',
      });
      return price === undefined ? undefined : computeCostUsd(event.usage, price);
    },
    preview: content.capture
      ? (text) =>
          preview(text === undefined ? undefined : text.slice(0, maxChars + redactionLookaheadChars), {
            maxChars,
            redact: content.redact,
          })
      : () => undefined,
  };
}
