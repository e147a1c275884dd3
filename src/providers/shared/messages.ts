// Helpers shared by adapters that reshape the neutral message list.
import type { ChatMessage, ContentPart } from '../../spec/index.js';

/** The text of a message's content, parts joined; images are dropped. */
export function textOf(content: string | ContentPart[] | null): string {
  if (content === null) return '';
  if (typeof content === 'string') return content;
  let text = '';
  for (const part of content) if (part.type === 'text') text += part.text;
  return text;
}

/** Splits system/developer messages (joined by blank lines) from the conversation. */
export function splitSystem(messages: ChatMessage[]): {
  system: string | undefined;
  conversation: ChatMessage[];
} {
  const systemParts: string[] = [];
  const conversation: ChatMessage[] = [];
  for (const message of messages) {
    if (message.role === 'system' || message.role === 'developer') systemParts.push(textOf(message.content));
    else conversation.push(message);
  }
  return { system: systemParts.length > 0 ? systemParts.join('\n\n') : undefined, conversation };
}

/** Parses tool-call arguments JSON, falling back to an empty object for unreadable text. */
export function parseArguments(text: string): Record<string, unknown> {
  if (text.trim() === '') return {};
  try {
    const parsed: unknown = JSON.parse(text);
    return parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed)
      ? (parsed as Record<string, unknown>)
      : { value: parsed };
  } catch {
    return {};
  }
}
