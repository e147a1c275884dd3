// Config: schema, loading, the demo default.
export * from './schema.js';
export * from './state-schema.js';
export * from './rate-limits-schema.js';
export * from './load-config.js';
export { demoConfig } from './demo-config.js';
