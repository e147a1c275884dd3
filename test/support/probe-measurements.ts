// A probe measurement as the probe loop stores it, for tests that write measurements directly.
import type { ProbeMeasurement } from '../../src/probes/probe-store.js';

/** A measurement before the store gives it an id. */
export type NewProbeMeasurement = Omit<ProbeMeasurement, 'id'>;

/** A successful probe of prod/gpt-4o at 2026-01-01T00:00:00Z; `overrides` change any field. */
export function probeMeasurement(overrides: Partial<NewProbeMeasurement> = {}): NewProbeMeasurement {
  return {
    atMs: Date.parse('2026-01-01T00:00:00Z'),
    environment: 'prod',
    model: 'gpt-4o',
    success: true,
    status: 200,
    latencyMs: 400,
    ttftMs: 120,
    promptTokens: 12,
    completionTokens: 1,
    totalTokens: 13,
    costUsd: 0.0001,
    provider: 'openai',
    servedModel: 'gpt-4o-2024',
    errorCode: null,
    error: null,
    ...overrides,
  };
}
