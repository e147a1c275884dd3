import { describe, expect, it } from 'vitest';
import type { CallerKey } from '../policy/request-policy.js';
import { ErrorCodes } from '../spec/index.js';
import { decideAccess, isModelAllowed, type KeyIndex } from './decide-access.js';
import { hashKeySecret } from './key-secret.js';

const good = 'keel_sk_good-secret-000000000000000000000000';
const revoked = 'keel_sk_revoked-secret-0000000000000000000000';
const key: CallerKey = { id: 'key_1', name: 'checkout', team: 'payments' };
const closed: KeyIndex = {
  active: new Map([[hashKeySecret(good), key]]),
  revoked: new Set([hashKeySecret(revoked)]),
  open: false,
};
const open: KeyIndex = { active: new Map(), revoked: new Set(), open: true };

describe('decideAccess', () => {
  const cases: {
    name: string;
    index: KeyIndex;
    authorization: string | undefined;
    /** 'open', 'allowed', or a piece of the refusal's message. */
    expected: string;
  }[] = [
    { name: 'open, no header', index: open, authorization: undefined, expected: 'open' },
    { name: 'open, any header', index: open, authorization: 'Bearer whatever', expected: 'open' },
    { name: 'active key', index: closed, authorization: `Bearer ${good}`, expected: 'allowed' },
    { name: 'no header', index: closed, authorization: undefined, expected: 'needs a gateway key' },
    { name: 'not a bearer', index: closed, authorization: `Basic ${good}`, expected: 'needs a gateway key' },
    { name: 'unknown key', index: closed, authorization: 'Bearer keel_sk_nope', expected: 'not valid' },
    { name: 'revoked key', index: closed, authorization: `Bearer ${revoked}`, expected: 'revoked' },
    { name: 'secret with a suffix', index: closed, authorization: `Bearer ${good}x`, expected: 'not valid' },
    {
      name: 'nothing exists but keys are required',
      index: { active: new Map(), revoked: new Set(), open: false },
      authorization: `Bearer ${good}`,
      expected: 'not valid',
    },
  ];
  it.each(cases)('$name', ({ index, authorization, expected }) => {
    const decision = decideAccess({ authorization, index });
    if (expected === 'open' || expected === 'allowed') {
      expect(decision.kind).toBe(expected);
      if (decision.kind === 'allowed') expect(decision.key).toBe(key);
      return;
    }
    expect(decision.kind).toBe('refused');
    if (decision.kind !== 'refused') return;
    expect(decision.error.code).toBe(ErrorCodes.invalidApiKey);
    expect(decision.error.status).toBe(401);
    expect(decision.error.message).toContain(expected);
    expect(decision.error.message).not.toContain(good);
    expect(decision.error.headers).toEqual({ 'www-authenticate': 'Bearer realm="keel"' });
  });
});

describe('isModelAllowed', () => {
  it.each([
    [undefined, 'chat-default', true],
    [['chat-default'], 'chat-default', true],
    [['chat-default'], 'chat-fast', false],
    [['openai/*'], 'openai/gpt-4o', true],
    [['openai/*'], 'openai', false],
    [['openai/*'], 'anthropic/claude', false],
    [['chat-default', 'openai/gpt-4o-mini'], 'openai/gpt-4o-mini', true],
  ] as const)('%j allows %s: %s', (allowed, model, expected) => {
    expect(isModelAllowed(allowed, model)).toBe(expected);
  });
});
