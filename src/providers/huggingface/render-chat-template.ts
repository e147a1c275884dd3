// Renders a neutral message list into one prompt string for TGI's native `/generate` API.
import type { ChatMessage } from '../../spec/index.js';
import { splitSystem, textOf } from '../shared/messages.js';

/** The chat templates Keel can render; pick the one the served model was trained on. */
export const promptTemplates = ['mistral', 'chatml', 'llama3', 'plain'] as const;

export type PromptTemplate = (typeof promptTemplates)[number];

interface Turn {
  role: 'user' | 'assistant';
  text: string;
}

interface Conversation {
  system: string | undefined;
  turns: Turn[];
  /** The last turn is the assistant's: the model continues it instead of starting a new one. */
  continuesAssistant: boolean;
}

function toConversation(messages: ChatMessage[]): Conversation {
  // System and developer messages are hoisted to the front, joined by blank lines: every
  // template below has exactly one system slot.
  const { system, conversation } = splitSystem(messages);
  const turns = conversation.map((message): Turn => ({
    role: message.role === 'assistant' ? 'assistant' : 'user',
    text: textOf(message.content),
  }));
  return { system, turns, continuesAssistant: turns.at(-1)?.role === 'assistant' };
}

/** Joins consecutive turns of one role: Mistral's format only works when roles alternate. */
function mergeConsecutive(turns: Turn[]): Turn[] {
  const merged: Turn[] = [];
  for (const turn of turns) {
    const previous = merged.at(-1);
    if (previous !== undefined && previous.role === turn.role) previous.text += `\n\n${turn.text}`;
    else merged.push({ ...turn });
  }
  return merged;
}

/** `<s>[INST] {system}\n\n{user} [/INST] {assistant}</s>[INST] {user} [/INST]` */
function renderMistral({ system, turns, continuesAssistant }: Conversation): string {
  const merged = mergeConsecutive(turns);
  // Mistral has no system role: the system text leads the first instruction.
  if (system !== undefined) {
    const first = merged[0];
    if (first !== undefined && first.role === 'user') first.text = `${system}\n\n${first.text}`;
    else merged.unshift({ role: 'user', text: system });
  }
  let prompt = '<s>';
  merged.forEach((turn, index) => {
    if (turn.role === 'user') prompt += `[INST] ${turn.text} [/INST]`;
    else prompt += ` ${turn.text}${continuesAssistant && index === merged.length - 1 ? '' : '</s>'}`;
  });
  return prompt;
}

/** `<|im_start|>{role}\n{content}<|im_end|>\n` per message, then `<|im_start|>assistant\n`. */
function renderChatml({ system, turns, continuesAssistant }: Conversation): string {
  let prompt = system === undefined ? '' : `<|im_start|>system\n${system}<|im_end|>\n`;
  turns.forEach((turn, index) => {
    const open = continuesAssistant && index === turns.length - 1;
    prompt += `<|im_start|>${turn.role}\n${turn.text}${open ? '' : '<|im_end|>\n'}`;
  });
  return continuesAssistant ? prompt : `${prompt}<|im_start|>assistant\n`;
}

/** Llama 3 headers: `<|start_header_id|>{role}<|end_header_id|>\n\n{content}<|eot_id|>`. */
function renderLlama3({ system, turns, continuesAssistant }: Conversation): string {
  const header = (role: string) => `<|start_header_id|>${role}<|end_header_id|>\n\n`;
  let prompt = '<|begin_of_text|>';
  if (system !== undefined) prompt += `${header('system')}${system}<|eot_id|>`;
  turns.forEach((turn, index) => {
    const open = continuesAssistant && index === turns.length - 1;
    prompt += `${header(turn.role)}${turn.text}${open ? '' : '<|eot_id|>'}`;
  });
  return continuesAssistant ? prompt : `${prompt}${header('assistant')}`;
}

/** `System: ...\nUser: ...\nAssistant:` for base models without a chat format. */
function renderPlain({ system, turns, continuesAssistant }: Conversation): string {
  const lines = system === undefined ? [] : [`System: ${system}`];
  for (const turn of turns) lines.push(`${turn.role === 'user' ? 'User' : 'Assistant'}: ${turn.text}`);
  if (!continuesAssistant) lines.push('Assistant:');
  return lines.join('\n');
}

/**
 * The prompt for a conversation in the given template, ending where the assistant's answer starts.
 * When the last message is the assistant's, it is left open so the model continues it.
 * Content parts other than text are dropped; callers reject them first.
 * @example renderChatTemplate([{ role: 'user', content: 'Hi' }], 'chatml')
 *   // '<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n'
 */
export function renderChatTemplate(messages: ChatMessage[], template: PromptTemplate): string {
  const conversation = toConversation(messages);
  switch (template) {
    case 'mistral':
      return renderMistral(conversation);
    case 'chatml':
      return renderChatml(conversation);
    case 'llama3':
      return renderLlama3(conversation);
    case 'plain':
      return renderPlain(conversation);
  }
}
