import { describe, expect, it } from 'vitest';
import type { ChatResult, StreamPart } from '../spec/index.js';
import { replayResult } from './replay-result.js';
import { StreamAccumulator } from './stream-accumulator.js';

async function collect(parts: AsyncIterable<StreamPart>): Promise<StreamPart[]> {
  const collected: StreamPart[] = [];
  for await (const part of parts) collected.push(part);
  return collected;
}

async function* from(parts: StreamPart[]): AsyncGenerator<StreamPart> {
  for (const part of parts) yield await Promise.resolve(part);
}

const usage = { inputTokens: 12, outputTokens: 30, totalTokens: 42 };

describe('StreamAccumulator', () => {
  it('builds the whole answer from text, tool-call deltas, usage and the finish reason', async () => {
    const accumulator = new StreamAccumulator();
    const parts: StreamPart[] = [
      { type: 'response-metadata', providerResponseId: 'resp-1', model: 'gpt-4o-mini-2024' },
      { type: 'text-delta', text: 'Let me ' },
      { type: 'text-delta', text: 'look.' },
      { type: 'tool-call-delta', index: 1, id: 'c2', name: 'time', argumentsDelta: '{}' },
      { type: 'tool-call-delta', index: 0, id: 'c1', name: 'weather', argumentsDelta: '{"city":' },
      { type: 'tool-call-delta', index: 0, argumentsDelta: '"Oslo"}' },
      { type: 'usage', usage },
      { type: 'finish', finishReason: 'tool_calls' },
    ];
    // Parts pass through unchanged.
    expect(await collect(accumulator.tap(from(parts)))).toEqual(parts);
    expect(accumulator.result('gpt-4o-mini')).toEqual({
      providerResponseId: 'resp-1',
      model: 'gpt-4o-mini-2024',
      text: 'Let me look.',
      toolCalls: [
        { id: 'c1', name: 'weather', arguments: '{"city":"Oslo"}' },
        { id: 'c2', name: 'time', arguments: '{}' },
      ],
      finishReason: 'tool_calls',
      usage,
    });
  });

  it('has no result for a stream that never finished', () => {
    const accumulator = new StreamAccumulator();
    accumulator.add({ type: 'text-delta', text: 'Half an ans' });
    expect(accumulator.result('m')).toBeUndefined();
  });

  it('keeps text null for a tool-only answer and uses the given model when the stream named none', () => {
    const accumulator = new StreamAccumulator();
    accumulator.add({ type: 'tool-call-delta', index: 0, id: 'c1', name: 'f', argumentsDelta: '{}' });
    accumulator.add({ type: 'finish', finishReason: 'tool_calls' });
    expect(accumulator.result('sim-1')).toMatchObject({ model: 'sim-1', text: null });
  });
});

describe('replayResult', () => {
  const result: ChatResult = {
    providerResponseId: 'resp-9',
    model: 'sim-1',
    text: 'The gateway keeps every call reliable by retrying failed attempts with backoff and failing over. 🚀 Done.',
    toolCalls: [{ id: 'c1', name: 'weather', arguments: '{"city":"Oslo"}' }],
    finishReason: 'stop',
    usage,
  };

  it('streams the answer in a few text deltas, then tool calls, usage and finish', async () => {
    const parts = await collect(replayResult(result, 32));
    expect(parts[0]).toEqual({ type: 'response-metadata', providerResponseId: 'resp-9', model: 'sim-1' });
    const deltas = parts.filter((part) => part.type === 'text-delta');
    expect(deltas.length).toBeGreaterThan(1);
    expect(deltas.map((part) => part.text).join('')).toBe(result.text);
    expect(parts.slice(-2)).toEqual([
      { type: 'usage', usage },
      { type: 'finish', finishReason: 'stop' },
    ]);
  });

  it('accumulates back into the same answer', async () => {
    const accumulator = new StreamAccumulator();
    await collect(accumulator.tap(replayResult(result)));
    expect(accumulator.result('other')).toEqual(result);
  });
});
