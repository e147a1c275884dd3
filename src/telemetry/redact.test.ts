import { describe, expect, it } from 'vitest';
import { passesLuhn, preview, redactPii } from './redact.js';

/** A deterministic key-like body: letters and digits, so no secret scanner mistakes it for a real key. */
function fakeBody(length: number, alphabet = 'A1b2C3d4E5f6G7h8J9k0'): string {
  let body = '';
  for (let index = 0; index < length; index++) body += alphabet[(index * 7) % alphabet.length];
  return body;
}

const jwt = [
  'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9',
  'eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIn0',
  'SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c',
].join('.');

/** [what, the text as it appears, what it must become]. Each is checked inside a sentence. */
const PII_CORPUS: [string, string, string][] = [
  // Emails
  ['email', 'alice@example.com', '[EMAIL]'],
  ['email with tag and subdomains', 'first.last+news@mail.example.co.uk', '[EMAIL]'],
  ['email in capitals', 'USER_99@Example.ORG', '[EMAIL]'],
  ['email with dashed domain', 'j.doe@mail-server.io', '[EMAIL]'],
  ['short email', 'x@y.dev', '[EMAIL]'],
  ['email in angle brackets', '<ops@keel.dev>', '<[EMAIL]>'],
  // Phones
  ['US international with spaces', '+1 415 555 0132', '[PHONE]'],
  ['US international with dashes', '+1-415-555-0132', '[PHONE]'],
  ['US international with parentheses', '+1 (415) 555-0132', '[PHONE]'],
  ['US with parentheses', '(415) 555-0132', '[PHONE]'],
  ['US with dashes', '415-555-0132', '[PHONE]'],
  ['US with dots', '415.555.0132', '[PHONE]'],
  ['US with spaces', '415 555 0132', '[PHONE]'],
  ['US toll free with trunk 1', '1-800-555-0199', '[PHONE]'],
  ['UK', '+44 20 7946 0958', '[PHONE]'],
  ['France', '+33 1 23 45 67 89', '[PHONE]'],
  ['Germany with (0)', '+49 (0)30 1234567', '[PHONE]'],
  ['India without separators', '+919876543210', '[PHONE]'],
  ['Japan with dashes', '+81-3-1234-5678', '[PHONE]'],
  ['Netherlands with dots', '+31.20.123.4567', '[PHONE]'],
  // Payment cards (network test numbers, Luhn-valid)
  ['Visa with spaces', '4111 1111 1111 1111', '[CARD]'],
  ['Visa with dashes', '4111-1111-1111-1111', '[CARD]'],
  ['Visa without separators', '4111111111111111', '[CARD]'],
  ['Visa 13 digits', '4222222222222', '[CARD]'],
  ['Mastercard', '5555 5555 5555 4444', '[CARD]'],
  ['Mastercard 2-series', '2223003122003222', '[CARD]'],
  ['Amex 4-6-5', '3782 822463 10005', '[CARD]'],
  ['Discover', '6011-1111-1111-1117', '[CARD]'],
  ['JCB', '3530111333300000', '[CARD]'],
  // API keys and tokens
  ['OpenAI key', `sk-${fakeBody(48)}`, '[SECRET]'],
  ['OpenAI project key', `sk-proj-${fakeBody(40)}_${fakeBody(20)}`, '[SECRET]'],
  ['Anthropic key', `sk-ant-api03-${fakeBody(80)}-${fakeBody(6)}AA`, '[SECRET]'],
  ['Google API key', `AIza${fakeBody(35)}`, '[SECRET]'],
  ['AWS access key id', `AKIA${fakeBody(16, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567')}`, '[SECRET]'],
  ['GitHub personal token', `ghp_${fakeBody(36)}`, '[SECRET]'],
  ['GitHub OAuth token', `gho_${fakeBody(36)}`, '[SECRET]'],
  ['GitHub fine-grained token', `github_pat_${fakeBody(22)}_${fakeBody(59)}`, '[SECRET]'],
  ['Slack bot token', `xoxb-${fakeBody(12, '0123456789')}-${fakeBody(24)}`, '[SECRET]'],
  ['Slack user token', `xoxp-${fakeBody(12, '0123456789')}-${fakeBody(32)}`, '[SECRET]'],
  ['Bearer token', `Bearer ${fakeBody(40)}`, 'Bearer [SECRET]'],
  ['bearer JWT in a header', `Authorization: bearer ${jwt}`, 'Authorization: bearer [SECRET]'],
  ['bare JWT', jwt, '[SECRET]'],
  ['hex after key=', `key=${fakeBody(32, '0123456789abcdef')}`, 'key=[SECRET]'],
  ['base64 after token=', `token=${fakeBody(30)}+/${fakeBody(8)}==`, 'token=[SECRET]'],
  ['JSON api_key', `"api_key": "${fakeBody(24)}"`, '"api_key": "[SECRET]"'],
  ['env secret', `AWS_SECRET_ACCESS_KEY=${fakeBody(40)}`, 'AWS_SECRET_ACCESS_KEY=[SECRET]'],
  ['header x-api-key', `x-api-key: ${fakeBody(32)}`, 'x-api-key: [SECRET]'],
  ['client_secret in a query', `?client_secret=${fakeBody(20)}&x=1`, '?client_secret=[SECRET]&x=1'],
  ['short password', 'password=hunter2', 'password=[SECRET]'],
  ['quoted password with spaces', '"password": "correct horse battery"', '"password": "[SECRET]"'],
  ['DB password env', 'DB_PASSWD: s3cr3t!', 'DB_PASSWD: [SECRET]'],
  // IP addresses
  ['IPv4 private', '192.168.1.10', '[IP]'],
  ['IPv4 with port', '10.0.0.1:8080', '[IP]:8080'],
  ['IPv4 public at sentence end', '8.8.8.8.', '[IP].'],
  ['IPv6 compressed', '2001:db8:85a3::8a2e:370:7334', '[IP]'],
  ['IPv6 full', '2001:0db8:0000:0000:0000:ff00:0042:8329', '[IP]'],
  ['IPv6 link-local', 'fe80::1', '[IP]'],
  ['IPv6 loopback', '::1', '[IP]'],
  ['IPv4-mapped IPv6', '::ffff:192.0.2.128', '[IP]'],
  ['bare four-part number (documented: read as an IPv4)', '1.2.3.4', '[IP]'],
];

/** Text that looks a little like PII and must come back unchanged. */
const NEAR_MISSES: [string, string][] = [
  ['prefixed version', 'Released v1.2.3.4 today'],
  ['named version', 'Upgrade to version 1.2.3.4 or 10.4.1 now; version: 2.0.0.1'],
  ['five-part version', 'Build 1.2.3.4.5 is out'],
  ['ISO date and time', 'Meeting on 2024-01-15 at 12:30:45 UTC'],
  ['other date formats', 'Due 15.01.2024, 01/15/2024 or 2024.01.15'],
  ['order id failing Luhn', 'Order 4111 1111 1111 1112 shipped'],
  ['long order id failing Luhn', 'Order #5105105105105101 is late'],
  ['epoch milliseconds', 'timeMs 1736942400000 and 1736942400001'],
  ['prices', 'Price $1,299.99 or €4.99, total 1,234,567 units'],
  ['ordinary words', 'The skeleton key, a risky task, whiskey: neat'],
  ['sk- words', 'pip install sk-learn, use risk-free-allocation-strategy-for-everyone'],
  ['token counts', 'max_tokens=1024 and temperature=0.7, tokens: 4096'],
  ['short token value', 'token=abc123 and key=value'],
  ['UUID', 'request 123e4567-e89b-12d3-a456-426614174000'],
  ['git commit hash', 'commit 3f786850e387550fdab836ed7e6dc881de23001b'],
  ['C++ scopes and ratios', 'std::vector and Foo::bar, ratio 16:9, score 3:2'],
  ['mention', '@alice mentioned it in #general'],
  ['invalid IPv4', 'IP 999.1.1.1 and 256.0.0.1 are invalid'],
  ['ZIP and extension', 'ZIP 94105, ext. 1234, local 555-0132'],
  ['ISBN', 'ISBN 978-3-16-148410-0'],
  ['temperatures', 'from +20 to +25 degrees, +1.5%'],
  ['Bearer in prose', 'Use the Bearer scheme for tokens'],
  ['AKIA mentioned', 'AWS ids start with AKIA.'],
  ['placeholders', 'Already [EMAIL], [PHONE], [CARD], [SECRET] and [IP]'],
];

describe('redactPii', () => {
  it('has a corpus of at least 40 examples and 15 near misses', () => {
    expect(PII_CORPUS.length).toBeGreaterThanOrEqual(40);
    expect(NEAR_MISSES.length).toBeGreaterThanOrEqual(15);
  });

  it.each(PII_CORPUS)('redacts %s', (_what, text, expected) => {
    expect(redactPii(`before ${text} after`)).toBe(`before ${expected} after`);
    expect(redactPii(text)).toBe(expected);
  });

  it.each(NEAR_MISSES)('keeps %s', (_what, text) => {
    expect(redactPii(text)).toBe(text);
  });

  it('redacts several kinds in one text and is idempotent', () => {
    const text =
      'From bob@example.com (+1 415 555 0132), card 4111 1111 1111 1111, ' +
      `key ${'sk-proj-'}${fakeBody(40)}, server 10.1.2.3 / 2001:db8::7.`;
    const redacted = redactPii(text);
    expect(redacted).toBe('From [EMAIL] ([PHONE]), card [CARD], key [SECRET], server [IP] / [IP].');
    expect(redactPii(redacted)).toBe(redacted);
  });

  it('leaves text without PII untouched', () => {
    expect(redactPii('')).toBe('');
    expect(redactPii('Summarise this paragraph in three bullet points.')).toBe(
      'Summarise this paragraph in three bullet points.',
    );
  });

  it('finishes on 100 KB adversarial inputs', () => {
    const size = 100 * 1024;
    const fill = (unit: string) => unit.repeat(Math.ceil(size / unit.length)).slice(0, size);
    const inputs = [
      fill('a'),
      fill('1'),
      fill('4 '),
      fill('1-'),
      fill('a.'),
      fill('a@'),
      fill('a@a.'),
      `${fill('a')}@`,
      fill('+1 '),
      fill('+1'),
      fill('1:'),
      fill('a:'),
      fill('::'),
      fill('1.'),
      fill('255.'),
      fill('eyJ-'),
      fill('eyJaaaaaaaaa.'),
      fill('sk-'),
      fill('key='),
      fill('api_key: '),
      fill('password:"'),
      fill('Bearer '),
      fill('(415) '),
      fill('x_'),
      `key=${fill('a')}`,
    ];
    for (const input of inputs) {
      const output = redactPii(input);
      expect(typeof output).toBe('string');
      expect(redactPii(output)).toBe(output);
    }
  });
});

describe('passesLuhn', () => {
  it('accepts valid numbers and rejects the rest', () => {
    expect(passesLuhn('4111111111111111')).toBe(true);
    expect(passesLuhn('378282246310005')).toBe(true);
    expect(passesLuhn('4111111111111112')).toBe(false);
    expect(passesLuhn('5105105105105101')).toBe(false);
    expect(passesLuhn('')).toBe(false);
    expect(passesLuhn('41x1')).toBe(false);
  });
});

describe('preview', () => {
  it('keeps undefined and short texts', () => {
    expect(preview(undefined, { redact: true })).toBeUndefined();
    expect(preview('hello', { maxChars: 200, redact: true })).toBe('hello');
    expect(preview('x'.repeat(200), { redact: false })).toBe('x'.repeat(200));
  });

  it('cuts to maxChars characters, the ellipsis included', () => {
    const text = 'y'.repeat(500);
    const shown = preview(text, { redact: false });
    expect(shown).toBe(`${'y'.repeat(199)}…`);
    expect(preview(text, { maxChars: 10, redact: false })).toBe(`${'y'.repeat(9)}…`);
    expect(preview(text, { maxChars: 1, redact: false })).toBe('…');
    expect(preview(text, { maxChars: 0, redact: false })).toBe('');
  });

  it('redacts before cutting, so a secret across the cut is not half shown', () => {
    const key = `sk-proj-${fakeBody(60)}`;
    const lead = `${'z'.repeat(19)} `;
    const text = `${lead}${key} tail`;
    expect(preview(text, { maxChars: 40, redact: true })).toBe(`${lead}[SECRET] tail`);
    expect(preview(text, { maxChars: 25, redact: true })).toBe(`${lead}[SEC…`);
    expect(preview(text, { maxChars: 25, redact: false })).toBe(`${lead}sk-p…`);
  });

  it('does not redact when told not to', () => {
    expect(preview('mail alice@example.com', { redact: false })).toBe('mail alice@example.com');
    expect(preview('mail alice@example.com', { redact: true })).toBe('mail [EMAIL]');
  });

  it('does not cut a surrogate pair in two', () => {
    const text = `abc${'😀'.repeat(10)}`;
    expect(preview(text, { maxChars: 5, redact: false })).toBe('abc…');
    expect(preview(text, { maxChars: 6, redact: false })).toBe('abc😀…');
  });
});
