// A quick, provider-neutral estimate of a request's prompt tokens, until a real tokenizer replaces it.
import type { ChatRequest } from '../spec/index.js';

/** What an image is counted as: OpenAI's flat cost of a low-detail image. */
const imageTokens = 85;
/** Per message: role and separators, as OpenAI's chat format spends them. */
const messageOverheadTokens = 4;

/**
 * About one token per four characters of text (messages, names, tool calls and tool definitions),
 * plus a few per message. Good to ~20% for English prose; code and non-Latin scripts count more.
 *
 * @example estimatePromptTokens({ messages: [{ role: 'user', content: 'Hello there' }] }) // 3 + 4 + 3 = 10
 */
export function estimatePromptTokens(request: ChatRequest): number {
  let chars = 0;
  let tokens = 3; // the assistant turn's priming
  for (const message of request.messages) {
    tokens += messageOverheadTokens;
    if (typeof message.content === 'string') chars += message.content.length;
    else if (message.content !== null) {
      for (const part of message.content) {
        if (part.type === 'text') chars += part.text.length;
        else tokens += imageTokens;
      }
    }
    chars += message.name?.length ?? 0;
    for (const call of message.toolCalls ?? []) chars += call.name.length + call.arguments.length;
  }
  for (const tool of request.tools ?? []) {
    chars += tool.name.length + (tool.description?.length ?? 0) + JSON.stringify(tool.parameters).length;
  }
  return tokens + Math.ceil(chars / 4);
}
