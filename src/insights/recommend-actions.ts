// Recommendations from a window's rollups and a bounded sample of raw records: cheaper model, cache, max_tokens, flaky provider.
import { createHash } from 'node:crypto';
import type { StatsGroup } from '../store/store.js';
import type { RequestRecord } from '../telemetry/request-record.js';
import { pathTarget, recordFailedOver } from './scan-records.js';

export type RecommendationKind = 'cheaper-model' | 'enable-cache' | 'lower-max-tokens' | 'demote-provider';

/** One thing to do, with the figures that justify it. */
export interface Recommendation {
  /** Stable for the same finding: kind plus its subject. */
  id: string;
  kind: RecommendationKind;
  title: string;
  evidence: Record<string, number | string | boolean | null>;
  /** Spend a month would save at the window's traffic; absent when the change saves no spend directly. */
  estimatedMonthlySavingUsd?: number;
  action: string;
}

/** Thresholds of the rules; every field has a default. */
export interface RecommendationThresholds {
  /** Requests a group needs before a rule looks at it. Default 50. */
  minRequests: number;
  /** A cheaper model must cost at most this share of the current one per request. Default 0.7. */
  maxCostShare: number;
  /** A cheaper model's error rate may exceed the current one's by at most this. Default 0.02. */
  maxErrorRateIncrease: number;
  /** A cheaper model's quality may be lower by at most this (0–1 scale). Default 0.02. */
  maxQualityDrop: number;
  /** Share of sampled prompts repeating an earlier one in the same app and model. Default 0.1. */
  minDuplicateShare: number;
  /** Output tokens budget admission reserves when a call sends no max_tokens. Default 4,096. */
  reservedOutputTokens: number;
  /** A provider is flaky at this many times the others' error rate... Default 2. */
  flakyErrorRatio: number;
  /** ...and at least this much above it. Default 0.05. */
  flakyErrorMargin: number;
}

export const DEFAULT_RECOMMENDATION_THRESHOLDS: Readonly<RecommendationThresholds> = {
  minRequests: 50,
  maxCostShare: 0.7,
  maxErrorRateIncrease: 0.02,
  maxQualityDrop: 0.02,
  minDuplicateShare: 0.1,
  reservedOutputTokens: 4_096,
  flakyErrorRatio: 2,
  flakyErrorMargin: 0.05,
};

export interface RecommendationInput {
  windowMs: number;
  /** Rollups grouped by application and model. */
  applicationModelGroups: readonly StatsGroup[];
  /** Rollups grouped by provider. */
  providerGroups: readonly StatsGroup[];
  /** The newest raw records of the window, bounded. */
  sample: readonly RequestRecord[];
  thresholds?: Partial<RecommendationThresholds> | undefined;
}

export interface RecommendationResult {
  recommendations: Recommendation[];
  /** What could not be judged and why. */
  notes: string[];
}

const MONTH_MS = 30 * 86_400_000;
const roundUsd = (usd: number) => Math.round(usd * 100) / 100;
const roundRate = (rate: number) => Math.round(rate * 10_000) / 10_000;
const costPerRequest = (group: StatsGroup) => (group.requests === 0 ? 0 : group.costUsd / group.requests);

function quantile(sorted: readonly number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] ?? 0;
}

function cheaperModels(input: RecommendationInput, thresholds: RecommendationThresholds, notes: string[]) {
  const found: Recommendation[] = [];
  const eligible = input.applicationModelGroups.filter(
    (group) => group.requests >= thresholds.minRequests && group.costUsd > 0,
  );
  if (!eligible.some((group) => typeof group.quality.avg === 'number')) {
    notes.push(
      'cheaper-model: no quality scores in the window, so no model swap can be shown to keep quality.',
    );
    return found;
  }
  const monthly = MONTH_MS / input.windowMs;
  for (const current of eligible) {
    const currentQuality = current.quality.avg;
    if (typeof currentQuality !== 'number') continue;
    let best: { group: StatsGroup; quality: number; savingUsd: number } | undefined;
    for (const candidate of eligible) {
      const candidateQuality = candidate.quality.avg;
      if (candidate === current || candidate.key.application !== current.key.application) continue;
      if (typeof candidateQuality !== 'number') continue;
      if (costPerRequest(candidate) > thresholds.maxCostShare * costPerRequest(current)) continue;
      if (candidate.errorRate > current.errorRate + thresholds.maxErrorRateIncrease) continue;
      if (candidateQuality < currentQuality - thresholds.maxQualityDrop) continue;
      const savingUsd = current.requests * (costPerRequest(current) - costPerRequest(candidate)) * monthly;
      if (best === undefined || savingUsd > best.savingUsd) {
        best = { group: candidate, quality: candidateQuality, savingUsd };
      }
    }
    if (best === undefined) continue;
    const application = current.key.application ?? '';
    const from = current.key.model ?? '';
    const to = best.group.key.model ?? '';
    found.push({
      id: `cheaper-model:${application}:${from}`,
      kind: 'cheaper-model',
      title: `Route ${application} from ${from} to ${to}: same quality, cheaper`,
      evidence: {
        application,
        model: from,
        requests: current.requests,
        costPerRequestUsd: costPerRequest(current),
        errorRate: roundRate(current.errorRate),
        quality: currentQuality,
        candidate: to,
        candidateRequests: best.group.requests,
        candidateCostPerRequestUsd: costPerRequest(best.group),
        candidateErrorRate: roundRate(best.group.errorRate),
        candidateQuality: best.quality,
      },
      estimatedMonthlySavingUsd: roundUsd(best.savingUsd),
      action: `Point ${application}'s route (or alias) at ${to}, or run an experiment splitting it between the two first.`,
    });
  }
  return found;
}

function duplicatePrompts(input: RecommendationInput, thresholds: RecommendationThresholds, notes: string[]) {
  const withPreview = input.sample.filter((record) => record.promptPreview !== undefined && !record.cacheHit);
  if (withPreview.length === 0) {
    notes.push(
      'enable-cache: records carry no prompt hash and no prompt preview (content capture is off), so duplicate prompts cannot be counted.',
    );
    return [];
  }
  // Previews are the first 200 characters of the last user message: equal previews may still be
  // different prompts, so the duplicate share is an upper bound.
  const groups = new Map<
    string,
    { application: string; model: string; seen: Set<string>; total: number; duplicates: number }
  >();
  for (const record of withPreview) {
    const key = `${record.application}\u0000${record.requestedModel}`;
    let group = groups.get(key);
    if (group === undefined) {
      group = {
        application: record.application,
        model: record.requestedModel,
        seen: new Set(),
        total: 0,
        duplicates: 0,
      };
      groups.set(key, group);
    }
    const hash = createHash('sha256')
      .update(record.promptPreview ?? '')
      .digest('base64url');
    group.total += 1;
    if (group.seen.has(hash)) group.duplicates += 1;
    else group.seen.add(hash);
  }
  const rollups = new Map(
    input.applicationModelGroups.map((group) => [`${group.key.application}\u0000${group.key.model}`, group]),
  );
  const monthly = MONTH_MS / input.windowMs;
  const found: Recommendation[] = [];
  for (const [key, group] of groups) {
    const rollup = rollups.get(key);
    if (rollup !== undefined && rollup.cacheHits > 0) continue; // the cache is on there already
    const share = group.duplicates / group.total;
    if (group.total < thresholds.minRequests || share < thresholds.minDuplicateShare) continue;
    const costUsd = rollup?.costUsd ?? 0;
    found.push({
      id: `enable-cache:${group.application}:${group.model}`,
      kind: 'enable-cache',
      title: `Cache ${group.model} answers for ${group.application}: ${Math.round(share * 100)} % of prompts repeat`,
      evidence: {
        application: group.application,
        model: group.model,
        sampledPrompts: group.total,
        duplicatePrompts: group.duplicates,
        duplicateShare: roundRate(share),
        windowCostUsd: costUsd,
        basis: 'sha-256 of the 200-character prompt preview; an upper bound',
      },
      estimatedMonthlySavingUsd: roundUsd(share * costUsd * monthly),
      action: `Enable the response cache (cache.enabled with a TTL) for ${group.model}, or send Cache-Control from ${group.application}.`,
    });
  }
  return found;
}

function maxTokens(input: RecommendationInput, thresholds: RecommendationThresholds, notes: string[]) {
  notes.push(
    'lower-max-tokens: records keep neither the requested max_tokens nor the finish reason; answers are compared with the output tokens budget admission reserves.',
  );
  const byModel = new Map<string, number[]>();
  for (const record of input.sample) {
    if (record.outcome !== 'ok' || record.cacheHit) continue;
    const list = byModel.get(record.requestedModel);
    if (list === undefined) byModel.set(record.requestedModel, [record.outputTokens]);
    else list.push(record.outputTokens);
  }
  const found: Recommendation[] = [];
  for (const [model, outputs] of byModel) {
    if (outputs.length < thresholds.minRequests) continue;
    outputs.sort((left, right) => left - right);
    const largest = outputs[outputs.length - 1] ?? 0;
    if (largest * 2 > thresholds.reservedOutputTokens) continue;
    const p99 = quantile(outputs, 0.99);
    const suggested = Math.max(64, Math.ceil((p99 * 1.25) / 64) * 64);
    found.push({
      id: `lower-max-tokens:${model}`,
      kind: 'lower-max-tokens',
      title: `Send max_tokens ≈ ${suggested} for ${model}: answers never came near ${thresholds.reservedOutputTokens}`,
      evidence: {
        model,
        answersSampled: outputs.length,
        outputTokensP50: quantile(outputs, 0.5),
        outputTokensP95: quantile(outputs, 0.95),
        outputTokensP99: p99,
        outputTokensMax: largest,
        reservedOutputTokens: thresholds.reservedOutputTokens,
      },
      action: `Set max_tokens to about ${suggested} in calls to ${model}: budget reservations shrink, runaway answers are cut, and budgets admit more concurrent calls.`,
    });
  }
  return found;
}

function flakyProviders(input: RecommendationInput, thresholds: RecommendationThresholds) {
  const providers = input.providerGroups.filter(
    (group) => (group.key.provider ?? '') !== '' && group.requests >= thresholds.minRequests,
  );
  if (providers.length < 2) return [];
  const failoversFrom = new Map<string, number>();
  let failovers = 0;
  for (const record of input.sample) {
    if (!recordFailedOver(record)) continue;
    failovers += 1;
    const provider = pathTarget(record.failoverPath[0] ?? '').split('/')[0] ?? '';
    failoversFrom.set(provider, (failoversFrom.get(provider) ?? 0) + 1);
  }
  const found: Recommendation[] = [];
  for (const provider of providers) {
    const others = providers.filter((other) => other !== provider);
    const otherRequests = others.reduce((sum, other) => sum + other.requests, 0);
    const otherErrorRate = others.reduce((sum, other) => sum + other.errors, 0) / otherRequests;
    if (provider.errorRate < thresholds.flakyErrorRatio * otherErrorRate) continue;
    if (provider.errorRate - otherErrorRate < thresholds.flakyErrorMargin) continue;
    const name = provider.key.provider ?? '';
    found.push({
      id: `demote-provider:${name}`,
      kind: 'demote-provider',
      title: `Demote ${name}: ${Math.round(provider.errorRate * 100)} % errors against ${Math.round(otherErrorRate * 100)} % elsewhere`,
      evidence: {
        provider: name,
        requests: provider.requests,
        errorRate: roundRate(provider.errorRate),
        otherProvidersErrorRate: roundRate(otherErrorRate),
        failoversStartingHere: failoversFrom.get(name) ?? 0,
        failoversSampled: failovers,
      },
      action: `Move ${name} later in the fallback order of the aliases that list it first, or lower its weight.`,
    });
  }
  return found;
}

/**
 * The recommendations a window supports, biggest monthly saving first (the ones without a saving
 * estimate after). Pure: the reader passes the rollups and the bounded sample.
 */
export function recommendActions(input: RecommendationInput): RecommendationResult {
  const thresholds = { ...DEFAULT_RECOMMENDATION_THRESHOLDS, ...input.thresholds };
  const notes: string[] = [];
  const recommendations = [
    ...cheaperModels(input, thresholds, notes),
    ...duplicatePrompts(input, thresholds, notes),
    ...maxTokens(input, thresholds, notes),
    ...flakyProviders(input, thresholds),
  ].sort(
    (left, right) =>
      (right.estimatedMonthlySavingUsd ?? -1) - (left.estimatedMonthlySavingUsd ?? -1) ||
      left.id.localeCompare(right.id),
  );
  return { recommendations, notes };
}
