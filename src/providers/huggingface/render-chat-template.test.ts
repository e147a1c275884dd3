import { describe, expect, it } from 'vitest';
import type { ChatMessage } from '../../spec/index.js';
import { renderChatTemplate, type PromptTemplate } from './render-chat-template.js';

const conversation: ChatMessage[] = [
  { role: 'system', content: 'You are terse.' },
  { role: 'user', content: 'What is deep learning?' },
  { role: 'assistant', content: 'Neural networks.' },
  { role: 'user', content: [{ type: 'text', text: 'Shorter.' }] },
];

describe('renderChatTemplate', () => {
  it.each<[PromptTemplate, string]>([
    [
      'mistral',
      '<s>[INST] You are terse.\n\nWhat is deep learning? [/INST] Neural networks.</s>[INST] Shorter. [/INST]',
    ],
    [
      'chatml',
      '<|im_start|>system\nYou are terse.<|im_end|>\n' +
        '<|im_start|>user\nWhat is deep learning?<|im_end|>\n' +
        '<|im_start|>assistant\nNeural networks.<|im_end|>\n' +
        '<|im_start|>user\nShorter.<|im_end|>\n' +
        '<|im_start|>assistant\n',
    ],
    [
      'llama3',
      '<|begin_of_text|>' +
        '<|start_header_id|>system<|end_header_id|>\n\nYou are terse.<|eot_id|>' +
        '<|start_header_id|>user<|end_header_id|>\n\nWhat is deep learning?<|eot_id|>' +
        '<|start_header_id|>assistant<|end_header_id|>\n\nNeural networks.<|eot_id|>' +
        '<|start_header_id|>user<|end_header_id|>\n\nShorter.<|eot_id|>' +
        '<|start_header_id|>assistant<|end_header_id|>\n\n',
    ],
    [
      'plain',
      'System: You are terse.\nUser: What is deep learning?\nAssistant: Neural networks.\nUser: Shorter.\nAssistant:',
    ],
  ])('renders a multi-turn conversation as %s', (template, expected) => {
    expect(renderChatTemplate(conversation, template)).toBe(expected);
  });

  it.each<[PromptTemplate, string]>([
    ['mistral', '<s>[INST] Hi [/INST]'],
    ['chatml', '<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n'],
    [
      'llama3',
      '<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|>' +
        '<|start_header_id|>assistant<|end_header_id|>\n\n',
    ],
    ['plain', 'User: Hi\nAssistant:'],
  ])('renders a lone user message without a system slot as %s', (template, expected) => {
    expect(renderChatTemplate([{ role: 'user', content: 'Hi' }], template)).toBe(expected);
  });

  it.each<[PromptTemplate, string]>([
    ['mistral', '<s>[INST] Name a colour. [/INST] Deep'],
    ['chatml', '<|im_start|>user\nName a colour.<|im_end|>\n<|im_start|>assistant\nDeep'],
    [
      'llama3',
      '<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\nName a colour.<|eot_id|>' +
        '<|start_header_id|>assistant<|end_header_id|>\n\nDeep',
    ],
    ['plain', 'User: Name a colour.\nAssistant: Deep'],
  ])('leaves a final assistant message open for the model to continue (%s)', (template, expected) => {
    const messages: ChatMessage[] = [
      { role: 'user', content: 'Name a colour.' },
      { role: 'assistant', content: 'Deep' },
    ];
    expect(renderChatTemplate(messages, template)).toBe(expected);
  });

  it('hoists developer and later system messages into the one system slot', () => {
    const messages: ChatMessage[] = [
      { role: 'developer', content: 'Be brief.' },
      { role: 'user', content: 'Hi' },
      { role: 'system', content: 'Answer in French.' },
    ];
    expect(renderChatTemplate(messages, 'chatml')).toBe(
      '<|im_start|>system\nBe brief.\n\nAnswer in French.<|im_end|>\n' +
        '<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n',
    );
  });

  it('merges consecutive user messages for mistral, which needs alternating roles', () => {
    const messages: ChatMessage[] = [
      { role: 'user', content: 'First.' },
      { role: 'user', content: 'Second.' },
    ];
    expect(renderChatTemplate(messages, 'mistral')).toBe('<s>[INST] First.\n\nSecond. [/INST]');
    expect(renderChatTemplate(messages, 'plain')).toBe('User: First.\nUser: Second.\nAssistant:');
  });

  it('gives mistral a system-only instruction when the conversation opens with the assistant', () => {
    const messages: ChatMessage[] = [
      { role: 'system', content: 'Be kind.' },
      { role: 'assistant', content: 'Hello!' },
      { role: 'user', content: 'Hi' },
    ];
    expect(renderChatTemplate(messages, 'mistral')).toBe(
      '<s>[INST] Be kind. [/INST] Hello!</s>[INST] Hi [/INST]',
    );
  });
});
