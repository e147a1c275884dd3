import { describe, expect, it } from 'vitest';
import { ErrorCodes, KeelError, type StreamPart } from '../spec/index.js';
import { ChatChunkEncoder } from './chat-chunk-encoder.js';

const head =
  '{"id":"chatcmpl-abc","object":"chat.completion.chunk","created":1700000000,"model":"gpt-4o-mini"';

function encoder(includeUsage = false, model = 'gpt-4o-mini'): ChatChunkEncoder {
  return new ChatChunkEncoder({ id: 'chatcmpl-abc', created: 1_700_000_000, model, includeUsage });
}

/** The `data:` line of a chunk with one choice. */
function line(delta: string, finishReason = 'null', prefix = head): string {
  return `data: ${prefix},"choices":[{"index":0,"delta":${delta},"logprobs":null,"finish_reason":${finishReason}}]}\n\n`;
}

const usage = { inputTokens: 12, outputTokens: 3, totalTokens: 15, cachedInputTokens: 2 };

function encodeAll(chunks: ChatChunkEncoder, parts: StreamPart[]): string {
  return parts.map((part) => chunks.encode(part)).join('') + chunks.end();
}

describe('ChatChunkEncoder', () => {
  it('writes text deltas, the role only on the first one', () => {
    const chunks = encoder();
    expect(chunks.encode({ type: 'text-delta', text: 'Hel' })).toBe(
      `data: ${head},"choices":[{"index":0,"delta":{"role":"assistant","content":"Hel"},"logprobs":null,"finish_reason":null}]}\n\n`,
    );
    expect(chunks.encode({ type: 'text-delta', text: 'lo "world"\n' })).toBe(
      line('{"content":"lo \\"world\\"\\n"}'),
    );
  });

  it('writes each line as JSON a client can parse', () => {
    const text = encoder().encode({ type: 'text-delta', text: 'a\u2028b</script>' });
    expect(text.startsWith('data: ')).toBe(true);
    expect(text.endsWith('\n\n')).toBe(true);
    expect(JSON.parse(text.slice('data: '.length))).toEqual({
      id: 'chatcmpl-abc',
      object: 'chat.completion.chunk',
      created: 1_700_000_000,
      model: 'gpt-4o-mini',
      choices: [
        {
          index: 0,
          delta: { role: 'assistant', content: 'a\u2028b</script>' },
          logprobs: null,
          finish_reason: null,
        },
      ],
    });
  });

  it('writes a whole text stream: deltas, finish, [DONE], and no usage chunk unless asked', () => {
    expect(
      encodeAll(encoder(), [
        { type: 'response-metadata', providerResponseId: 'resp_1' },
        { type: 'text-delta', text: 'Hi' },
        { type: 'text-delta', text: '!' },
        { type: 'finish', finishReason: 'stop' },
        { type: 'usage', usage },
      ]),
    ).toBe(
      line('{"role":"assistant","content":"Hi"}') +
        line('{"content":"!"}') +
        line('{}', '"stop"') +
        'data: [DONE]\n\n',
    );
  });

  it('writes the usage chunk before [DONE] when includeUsage is on', () => {
    const chunks = encoder(true);
    expect(
      encodeAll(chunks, [
        { type: 'text-delta', text: 'Hi' },
        { type: 'finish', finishReason: 'length' },
        { type: 'usage', usage },
      ]),
    ).toBe(
      line('{"role":"assistant","content":"Hi"}') +
        line('{}', '"length"') +
        `data: ${head},"choices":[],"usage":{"prompt_tokens":12,"completion_tokens":3,"total_tokens":15,` +
        `"prompt_tokens_details":{"cached_tokens":2},"completion_tokens_details":{"reasoning_tokens":0}}}\n\n` +
        'data: [DONE]\n\n',
    );
    expect(chunks.usage).toEqual(usage);
  });

  it('writes no usage chunk when includeUsage is on but no usage came', () => {
    const chunks = encoder(true);
    expect(encodeAll(chunks, [{ type: 'finish', finishReason: 'stop' }])).toBe(
      line('{"role":"assistant","content":""}', '"stop"') + 'data: [DONE]\n\n',
    );
    expect(chunks.usage).toBeUndefined();
  });

  it('writes parts that carry no text as nothing', () => {
    const chunks = encoder(true);
    expect(chunks.encode({ type: 'usage', usage })).toBe('');
    expect(chunks.encode({ type: 'response-metadata', providerResponseId: 'x' })).toBe('');
  });

  it('writes tool-call deltas: id, type and name first, then argument fragments', () => {
    expect(
      encodeAll(encoder(), [
        { type: 'tool-call-delta', index: 0, id: 'call_1', name: 'get_weather', argumentsDelta: '' },
        { type: 'tool-call-delta', index: 0, argumentsDelta: '{"city":' },
        { type: 'tool-call-delta', index: 0, argumentsDelta: '"Oslo"}' },
        { type: 'tool-call-delta', index: 1, id: 'call_2', name: 'now', argumentsDelta: '{}' },
        { type: 'finish', finishReason: 'tool_calls' },
      ]),
    ).toBe(
      line(
        '{"role":"assistant","content":null,"tool_calls":[{"index":0,"id":"call_1","type":"function","function":{"arguments":"","name":"get_weather"}}]}',
      ) +
        line('{"tool_calls":[{"index":0,"function":{"arguments":"{\\"city\\":"}}]}') +
        line('{"tool_calls":[{"index":0,"function":{"arguments":"\\"Oslo\\"}"}}]}') +
        line(
          '{"tool_calls":[{"index":1,"id":"call_2","type":"function","function":{"arguments":"{}","name":"now"}}]}',
        ) +
        line('{}', '"tool_calls"') +
        'data: [DONE]\n\n',
    );
  });

  it('writes text after a tool call without repeating the role', () => {
    const chunks = encoder();
    chunks.encode({ type: 'tool-call-delta', index: 0, id: 'c', name: 'f', argumentsDelta: '{}' });
    expect(chunks.encode({ type: 'text-delta', text: 'done' })).toBe(line('{"content":"done"}'));
  });

  it.each([
    ['stop', '"stop"'],
    ['length', '"length"'],
    ['content_filter', '"content_filter"'],
    ['other', '"stop"'],
    ['error', '"stop"'],
  ] as const)('maps finish reason %s to %s', (finishReason, expected) => {
    const chunks = encoder();
    chunks.encode({ type: 'text-delta', text: 'x' });
    expect(chunks.encode({ type: 'finish', finishReason })).toBe(line('{}', expected));
  });

  it('takes the model from response metadata that arrives before the first chunk', () => {
    const chunks = encoder(false, 'chat-default');
    expect(chunks.encode({ type: 'response-metadata', model: 'gpt-4o-mini-2024-07-18' })).toBe('');
    const renamed = head.replace('"gpt-4o-mini"', '"gpt-4o-mini-2024-07-18"');
    expect(chunks.encode({ type: 'text-delta', text: 'a' })).toBe(
      line('{"role":"assistant","content":"a"}', 'null', renamed),
    );
    // Once chunks went out, the model stays the same for the whole stream.
    chunks.encode({ type: 'response-metadata', model: 'something-else' });
    expect(chunks.encode({ type: 'text-delta', text: 'b' })).toBe(line('{"content":"b"}', 'null', renamed));
  });

  it('writes an error event in the OpenAI error shape, without [DONE]', () => {
    const error = new KeelError({
      code: ErrorCodes.streamInterrupted,
      status: 502,
      message: 'primary stream broke: socket closed',
    });
    expect(ChatChunkEncoder.error(error, 'req_123')).toBe(
      'data: {"error":{"message":"primary stream broke: socket closed","type":"server_error","param":null,' +
        '"code":"KEEL_STREAM_INTERRUPTED","request_id":"req_123"}}\n\n',
    );
  });

  it.each([
    [429, 'rate_limit_error'],
    [503, 'service_unavailable'],
    [504, 'timeout_error'],
    [400, 'invalid_request_error'],
  ])('types an error event with status %i as %s', (status, type) => {
    const error = new KeelError({ code: ErrorCodes.upstreamRateLimited, status, message: 'm' });
    const event = JSON.parse(ChatChunkEncoder.error(error, 'r').slice('data: '.length)) as {
      error: { type: string };
    };
    expect(event.error.type).toBe(type);
  });
});
