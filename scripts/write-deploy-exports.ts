// Writes the example exports under deploy/ from the built-in demo config (`npm run exports`).
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { demoConfig, validateConfig } from '../src/config/index.js';
import { deployExports } from '../src/exports/deploy-exports.js';

const config = validateConfig(demoConfig, { source: 'built-in demo config' });
for (const [path, text] of Object.entries(deployExports(config))) {
  const url = new URL(`../${path}`, import.meta.url);
  mkdirSync(dirname(url.pathname), { recursive: true });
  writeFileSync(url, text);
  process.stdout.write(`wrote ${path}\n`);
}
