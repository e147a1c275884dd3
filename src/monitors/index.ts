// Pure decision core of monitors: threshold, anomaly, forecast and SLO burn-rate evaluation.
export * from './monitor-state.js';
export * from './evaluate-threshold.js';
export * from './evaluate-anomaly.js';
export * from './forecast-holt.js';
export * from './slo-burn-rate.js';
