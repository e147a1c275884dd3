// The config's JSON Schema, generated from the same zod schema that validates it.
import { z } from 'zod';
import { configSchema } from './schema.js';

/** JSON Schema (draft 2020-12) of the config file as users write it (defaults optional). */
export function configJsonSchema(): Record<string, unknown> {
  return {
    ...z.toJSONSchema(configSchema, { io: 'input', unrepresentable: 'any' }),
    $id: 'https://keel.dev/schema/keel.config.schema.json',
    title: 'Keel configuration',
  };
}
