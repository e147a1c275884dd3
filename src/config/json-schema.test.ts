import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { configJsonSchema } from './json-schema.js';

describe('config JSON Schema', () => {
  it('is current: run `npm run schema` after changing the config schema', () => {
    const shipped = JSON.parse(
      readFileSync(new URL('../../schema/keel.config.schema.json', import.meta.url), 'utf8'),
    ) as unknown;
    expect(shipped).toEqual(configJsonSchema());
  });

  it('describes providers as a union keyed by type', () => {
    const schema = configJsonSchema() as {
      properties: { providers: { items: { oneOf?: unknown[]; anyOf?: unknown[] } } };
    };
    const variants = schema.properties.providers.items.oneOf ?? schema.properties.providers.items.anyOf;
    expect(variants).toHaveLength(5);
  });
});
