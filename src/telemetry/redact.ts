// Redacts personal data and secrets from stored prompt/response previews, and cuts previews to size.
import { isIPv6 } from 'node:net';

/** The placeholders that replace what `redactPii` finds. */
export const REDACTION_PLACEHOLDERS = {
  email: '[EMAIL]',
  phone: '[PHONE]',
  card: '[CARD]',
  secret: '[SECRET]',
  ip: '[IP]',
} as const;

export const DEFAULT_PREVIEW_CHARS = 200;

const { email: EMAIL, phone: PHONE, card: CARD, secret: SECRET, ip: IP } = REDACTION_PLACEHOLDERS;

// Every pattern is compiled once, anchored to a token start with a lookbehind (so a long run of
// similar characters is scanned from one place, not from each of its characters), and uses
// quantifiers that cannot split the same text in many ways: each pass is linear in the input.

/** Characters of a token (key bodies, base64url); a secret starts where none of them precedes it. */
const TOKEN_START = '(?<![A-Za-z0-9_-])';

/**
 * Provider keys and tokens with a recognisable prefix. `sk-` covers OpenAI (sk-..., sk-proj-...,
 * sk-svcacct-...) and Anthropic (sk-ant-api03-...); its body must hold a digit so that
 * hyphenated words ("sk-learn-style-...") are left alone.
 */
const PREFIXED_SECRET = new RegExp(
  TOKEN_START +
    '(?:' +
    [
      'sk-[A-Za-z0-9_-]{20,}',
      'AIza[A-Za-z0-9_-]{30,}', // Google API keys
      '(?:AKIA|ASIA|ABIA|ACCA)[A-Z0-9]{16}(?![A-Za-z0-9])', // AWS access key ids
      'gh[pousr]_[A-Za-z0-9]{30,}', // GitHub classic tokens
      'github_pat_[A-Za-z0-9_]{22,}', // GitHub fine-grained tokens
      'xox[abeprs]-[A-Za-z0-9-]{10,}', // Slack
      // JWTs: base64url of '{"' is 'eyJ'. Header alone is enough, so a JWT cut short still goes.
      'eyJ[A-Za-z0-9_-]{8,}(?:\\.[A-Za-z0-9_-]+){0,2}',
    ].join('|') +
    ')',
  'g',
);

/** `Authorization: Bearer <token>`: the scheme stays, the token goes. */
const BEARER_TOKEN = /(?<![A-Za-z0-9])(Bearer[ \t]+)([A-Za-z0-9._~+/=-]{16,})/gi;

/** Names whose value is a secret: api_key, x-api-key, client_secret, aws_secret_access_key, authToken... */
const SECRET_NAME = '(?:[A-Za-z0-9]{1,20}[_-]){0,4}(?:api|auth|access|refresh|session|private|client|app)?';

/** `token=...`, `"api_key": "..."`: a long key-like value after a key, token or secret name. */
const SECRET_ASSIGNMENT = new RegExp(
  `${TOKEN_START}(${SECRET_NAME}(?:key|token|secret))(["']?[ \\t]*[:=][ \\t]*["']?)([A-Za-z0-9+/=_.~-]{16,})`,
  'gi',
);

/** `password=...`, `"pwd": "..."`: any value, since passwords are short; quoted values may hold spaces. */
const PASSWORD_ASSIGNMENT = new RegExp(
  `${TOKEN_START}(${SECRET_NAME}(?:password|passwd|passphrase|pwd))(["']?[ \\t]*[:=][ \\t]*)` +
    `("[^"\\r\\n]{1,200}"|'[^'\\r\\n]{1,200}'|[^\\s"',;&]+)`,
  'gi',
);

/** Local part (at most 64 characters, RFC 5321) @ labels . a letters-only top-level domain. */
const EMAIL_ADDRESS =
  /(?<![A-Za-z0-9._%+-])[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9-]{1,63}(?:\.[A-Za-z0-9-]{1,63}){0,10}\.[A-Za-z]{2,24}(?![A-Za-z0-9-])/g;

/** Candidates only: `isIPv6` decides. Groups end at a colon, so there is one way to read each. */
const IPV6_CANDIDATE =
  /(?<![A-Za-z0-9_:.])(?:[0-9A-Fa-f]{0,4}:){2,7}(?:\d{1,3}(?:\.\d{1,3}){3}|[0-9A-Fa-f]{1,4})?(?![A-Za-z0-9_:])/g;

const OCTET = '(?:25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)';
/**
 * Four octets of at most 255. A bare `1.2.3.4` is an address; `v1.2.3.4`, `version 1.2.3.4` (or `version:`) and
 * five-part versions (`1.2.3.4.5`) are not: that is where the ambiguity with versions is settled.
 */
const IPV4_ADDRESS = new RegExp(
  `(?<![A-Za-z0-9_.]|[Vv]ersion:? )${OCTET}(?:\\.${OCTET}){3}(?![A-Za-z0-9_]|\\.\\d)`,
  'g',
);

/**
 * 13 to 19 digits, single spaces or dashes between them, starting with 2-6 (every major network);
 * Luhn decides. Epoch-millisecond timestamps start with 1 and so are never candidates.
 */
const CARD_CANDIDATE = /(?<![A-Za-z0-9_+.-])[2-6](?:[ -]?\d){12,18}(?![A-Za-z0-9_-]|\.\d)/g;

/** +country code, an optional (area), then digit groups with single separators; 7-15 digits (E.164). */
const INTERNATIONAL_PHONE =
  /(?<![A-Za-z0-9_+])\+\d{1,3}(?:[-. ]?\(\d{1,4}\))?[-. ]?\d{1,14}(?:[-. ]\d{1,14}){0,6}(?![A-Za-z0-9_]|[-.]\d)/g;

/** North American numbers with separators: (415) 555-0132, 415-555-0132, 415.555.0132, 1-800-555-0199. */
const US_PHONE =
  /(?<![A-Za-z0-9_+.-])(?:1[-. ]?)?(?:\(\d{3}\)[-. ]?|\d{3}[-. ])\d{3}[-. ]\d{4}(?![A-Za-z0-9_]|[-.]\d)/g;

const DIGIT = /\d/;
const NON_DIGITS = /\D/g;

/**
 * Replaces emails, phone numbers, payment cards, API keys and other secrets, and IP addresses
 * with `[EMAIL]`, `[PHONE]`, `[CARD]`, `[SECRET]` and `[IP]`. Linear in the text.
 *
 * Secrets go first (their bodies hold digits that look like cards or phones), then emails
 * (their domains may look like addresses), addresses, cards, and phones last. Known limits:
 * national numbers without a + outside North America, and numbers without separators, are kept
 * (they cannot be told from ids); a bare four-part version like `1.2.3.4` is redacted as an IP;
 * the word after `password:` is redacted even in prose ("your password: click here").
 *
 * @example
 * redactPii('mail bob@example.com, key sk-proj-abc123...'); // 'mail [EMAIL], key [SECRET]'
 */
export function redactPii(text: string): string {
  let result = text;
  result = result.replace(BEARER_TOKEN, (_match, scheme: string, token: string) =>
    DIGIT.test(token) ? `${scheme}${SECRET}` : `${scheme}${token}`,
  );
  result = result.replace(PREFIXED_SECRET, (match) =>
    match.startsWith('sk-') && !DIGIT.test(match.slice(3)) ? match : SECRET,
  );
  result = result.replace(
    SECRET_ASSIGNMENT,
    (_match, name: string, separator: string) => `${name}${separator}${SECRET}`,
  );
  result = result.replace(PASSWORD_ASSIGNMENT, (_match, name: string, separator: string, value: string) => {
    const quote = value.startsWith('"') || value.startsWith("'") ? value.charAt(0) : '';
    return `${name}${separator}${quote}${SECRET}${quote}`;
  });
  if (result.includes('@')) result = result.replace(EMAIL_ADDRESS, EMAIL);
  if (result.includes(':')) {
    result = result.replace(IPV6_CANDIDATE, (match) => (DIGIT.test(match) && isIPv6(match) ? IP : match));
  }
  result = result.replace(IPV4_ADDRESS, IP);
  result = result.replace(CARD_CANDIDATE, (match) =>
    passesLuhn(match.replace(NON_DIGITS, '')) ? CARD : match,
  );
  if (result.includes('+')) {
    result = result.replace(INTERNATIONAL_PHONE, (match) => {
      const digits = match.replace(NON_DIGITS, '').length;
      return digits >= 7 && digits <= 15 ? PHONE : match;
    });
  }
  return result.replace(US_PHONE, PHONE);
}

/** The Luhn checksum every payment card number satisfies (and 9 in 10 random numbers do not). */
export function passesLuhn(digits: string): boolean {
  let sum = 0;
  let double = false;
  for (let index = digits.length - 1; index >= 0; index--) {
    let digit = digits.charCodeAt(index) - 48;
    if (digit < 0 || digit > 9) return false;
    if (double) {
      digit *= 2;
      if (digit > 9) digit -= 9;
    }
    sum += digit;
    double = !double;
  }
  return digits.length > 0 && sum % 10 === 0;
}

export interface PreviewOptions {
  /** Longest preview in characters, the ellipsis included. Default 200. */
  maxChars?: number | undefined;
  /** Run `redactPii` before cutting. */
  redact: boolean;
}

/**
 * What a record keeps of a prompt or answer: redacted first (so a secret cut in half is still
 * found), then cut to `maxChars` characters ending in '…'. undefined stays undefined.
 *
 * @example
 * preview(lastUserText(request), { maxChars: 200, redact: true });
 */
export function preview(text: string | undefined, options: PreviewOptions): string | undefined {
  if (text === undefined) return undefined;
  const maxChars = Math.max(0, Math.floor(options.maxChars ?? DEFAULT_PREVIEW_CHARS));
  const shown = options.redact ? redactPii(text) : text;
  if (shown.length <= maxChars) return shown;
  if (maxChars === 0) return '';
  let end = maxChars - 1;
  // Do not end on the first half of a surrogate pair (an emoji cut in two is not valid UTF-16).
  const last = shown.charCodeAt(end - 1);
  if (end > 0 && last >= 0xd800 && last <= 0xdbff) end--;
  return `${shown.slice(0, end)}…`;
}
