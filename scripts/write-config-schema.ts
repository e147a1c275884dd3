// Writes schema/keel.config.schema.json from the config's zod schema, for editors (YAML and JSON).
import { writeFileSync } from 'node:fs';
import { configJsonSchema } from '../src/config/json-schema.js';

const path = new URL('../schema/keel.config.schema.json', import.meta.url);
writeFileSync(path, `${JSON.stringify(configJsonSchema(), null, 2)}\n`);
process.stdout.write(`wrote ${path.pathname}\n`);
