import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { checkQuality, qualitySchema } from './quality-schema.js';

/** The parts of the config checkQuality reads, validated the way configSchema does. */
const harnessSchema = z
  .strictObject({
    quality: qualitySchema.prefault({}),
    models: z.array(z.object({ name: z.string() })).default([{ name: 'chat-default' }, { name: 'judge' }]),
    providers: z.array(z.object({ id: z.string() })).default([{ id: 'sim' }]),
    server: z.object({ allowDirectModels: z.boolean() }).default({ allowDirectModels: true }),
  })
  .superRefine((config, context) => checkQuality(config, context));

function problemsOf(input: unknown): string[] {
  const result = harnessSchema.safeParse(input);
  return result.success
    ? []
    : result.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
}

describe('quality config', () => {
  it('is off by default with the documented defaults', () => {
    expect(harnessSchema.parse({}).quality).toEqual({
      judge: {
        enabled: false,
        sampleRate: 0.05,
        maxConcurrent: 2,
        maxQueue: 100,
        timeoutMs: 30_000,
        retentionMs: 30 * 86_400_000,
      },
    });
  });

  it('accepts an enabled judge naming an alias, or provider/model of a configured provider', () => {
    for (const model of ['judge', 'sim/gpt-4o']) {
      expect(problemsOf({ quality: { judge: { enabled: true, model, applications: ['search'] } } })).toEqual(
        [],
      );
    }
  });

  const refused: [string, unknown, RegExp][] = [
    ['an enabled judge without a model', { enabled: true }, /quality\.judge\.model: an enabled judge needs/],
    [
      'an unknown alias',
      { enabled: true, model: 'nope' },
      /no model has this name; use an alias \(chat-default, judge\)/,
    ],
    ['an unknown provider', { model: 'other/gpt-4o' }, /no model has this name/],
    ['a sample rate above 1', { sampleRate: 1.5 }, /quality\.judge\.sampleRate/],
    ['a negative sample rate', { sampleRate: -0.1 }, /quality\.judge\.sampleRate/],
    ['no concurrency', { maxConcurrent: 0 }, /quality\.judge\.maxConcurrent/],
    ['an empty application list', { applications: [] }, /quality\.judge\.applications/],
    ['an unknown option', { sampleRatio: 0.1 }, /sampleRatio/],
  ];
  it.each(refused)('refuses %s, naming the option', (_name, judge, problem) => {
    expect(problemsOf({ quality: { judge } }).join('\n')).toMatch(problem);
  });

  it('refuses provider/model when direct models are off', () => {
    const problems = problemsOf({
      server: { allowDirectModels: false },
      quality: { judge: { enabled: true, model: 'sim/gpt-4o' } },
    });
    expect(problems).toEqual([expect.stringMatching(/^quality\.judge\.model: no model has this name/)]);
  });
});
