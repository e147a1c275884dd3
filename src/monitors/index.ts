// Monitors: the pure decision core (threshold, anomaly, forecast, SLO burn rate) and the metric reader feeding it.
export * from './monitor-state.js';
export * from './evaluate-threshold.js';
export * from './evaluate-anomaly.js';
export * from './forecast-holt.js';
export * from './slo-burn-rate.js';
export * from './read-monitor-metric.js';
