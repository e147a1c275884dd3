// OpenTelemetry GenAI semantic conventions as Prometheus sees them: bucket boundaries and provider names.
// Source: https://opentelemetry.io/docs/specs/semconv/gen-ai/gen-ai-metrics/

/**
 * Bucket boundaries (seconds) the GenAI semconv advises for `gen_ai.client.operation.duration`.
 */
export const operationDurationBuckets: readonly number[] = [
  0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92,
];

/**
 * Bucket boundaries (tokens) the GenAI semconv advises for `gen_ai.client.token.usage`.
 */
export const tokenUsageBuckets: readonly number[] = [
  1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864,
];

/**
 * Bucket boundaries (seconds) the GenAI semconv advises for `gen_ai.server.time_to_first_token`.
 */
export const timeToFirstTokenBuckets: readonly number[] = [
  0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0,
];

/** `gen_ai.operation.name` of everything Keel serves today. */
export const chatOperationName = 'chat';

/** Keel adapter families whose `gen_ai.provider.name` differs from the family's own name. */
const semconvProviderNames: Readonly<Record<string, string>> = {
  // The Gemini adapter calls the Gemini Developer API (generativelanguage.googleapis.com), not Vertex AI.
  gemini: 'gcp.gemini',
};

/**
 * The `gen_ai.provider.name` of a Keel adapter family: the semconv's well-known value where there is
 * one (openai, anthropic, gcp.gemini), else the family name itself (huggingface, mock).
 */
export function semconvProviderName(providerType: string): string {
  return semconvProviderNames[providerType] ?? providerType;
}
