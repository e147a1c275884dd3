import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  displayPrefix,
  generateKeyId,
  generateKeySecret,
  hashKeySecret,
  readBearerToken,
} from './key-secret.js';

describe('key secrets', () => {
  it('are keel_sk_ followed by 43 url-safe characters (256 random bits)', () => {
    const secret = generateKeySecret();
    expect(secret).toMatch(/^keel_sk_[A-Za-z0-9_-]{43}$/);
    expect(generateKeySecret()).not.toBe(secret);
  });

  it('come from the random source given', () => {
    const secret = generateKeySecret((size) => Buffer.alloc(size, 0xff));
    expect(secret).toBe(`keel_sk_${'_'.repeat(42)}8`);
  });

  it('are stored as their SHA-256 in hex', () => {
    const secret = 'keel_sk_example-secret-for-the-test-only-0000';
    expect(hashKeySecret(secret)).toBe(createHash('sha256').update(secret).digest('hex'));
    expect(hashKeySecret(secret)).toMatch(/^[0-9a-f]{64}$/);
    expect(hashKeySecret(secret)).not.toContain(secret);
  });

  it('show only their first 12 characters', () => {
    expect(displayPrefix('keel_sk_AbCdEfGh')).toBe('keel_sk_AbCd');
  });

  it('ids are key_ and 16 hex characters', () => {
    expect(generateKeyId()).toMatch(/^key_[0-9a-f]{16}$/);
  });
});

describe('readBearerToken', () => {
  it.each([
    [undefined, undefined],
    ['', undefined],
    ['Bearer keel_sk_abc', 'keel_sk_abc'],
    ['bearer keel_sk_abc', 'keel_sk_abc'],
    ['Bearer   keel_sk_abc  ', 'keel_sk_abc'],
    ['Basic dXNlcjpwYXNz', undefined],
    ['Bearer', undefined],
    ['Bearer two words', undefined],
    ['keel_sk_abc', undefined],
  ])('%j -> %j', (header, token) => {
    expect(readBearerToken(header)).toBe(token);
  });
});
