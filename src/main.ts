// Public entry point for embedding Keel: the composition root and the config loader.
export { createKeel, type Keel, type KeelOptions } from './compose/create-keel.js';
export { demoConfig, loadConfigFile, parseConfigText, validateConfig, ConfigError } from './config/index.js';
export type { KeelConfig, KeelConfigInput } from './config/index.js';
