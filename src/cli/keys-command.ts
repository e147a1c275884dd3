// `keel keys`: create, list and revoke gateway keys, on a running Keel (/api/keys) or on its key file.
import { controlApiClient } from './control-api-client.js';
import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { newKeySchema } from '../config/keys-schema.js';
import type { KeyRecord, NewKey } from '../keys/key-record.js';
import { generateKeySecret, hashKeySecret } from '../keys/key-secret.js';
import { SqliteKeyStore } from '../keys/sqlite-key-store.js';

/** What `keel keys` does with keys, wherever they are. */
interface KeysBackend {
  create(key: NewKey): Promise<{ record: KeyRecord; secret: string }>;
  list(): Promise<KeyRecord[]>;
  revoke(id: string): Promise<KeyRecord>;
  close(): Promise<void>;
}

export const keysUsage = `  keel keys create --name NAME [--team T] [--application A] [--environment E]
                   [--models m1,m2] [--rpm N] [--tpm N] [--daily-usd X] [--monthly-usd Y]
  keel keys list
  keel keys revoke KEY_ID
      Gateway keys, on a running Keel (--url, default http://127.0.0.1:8080; KEEL_ADMIN_TOKEN is
      sent if set) or straight on its key file (--file ./data/keys.db). The secret is printed once.
  keel keys generate
      A new secret and its SHA-256, for keys.static in the config (the secret goes in an env var).`;

const flagOf: Record<string, string> = {
  name: '--name',
  team: '--team',
  application: '--application',
  environment: '--environment',
  allowedModels: '--models',
  'rateLimits.requestsPerMinute': '--rpm',
  'rateLimits.tokensPerMinute': '--tpm',
  'budget.dailyUsd': '--daily-usd',
  'budget.monthlyUsd': '--monthly-usd',
};

function fileBackend(path: string, mustExist: boolean): KeysBackend {
  if (mustExist && !existsSync(path))
    throw new Error(`no key file at ${path}; point --file at Keel's keys.path`);
  const store = new SqliteKeyStore({ path, watchIntervalMs: 3_600_000 });
  return {
    create: (key) => store.create(key),
    list: () => store.list(),
    revoke: async (id) => {
      const revoked = await store.revoke(id);
      if (revoked === undefined) throw new Error(`no key ${id} in ${path}; \`keel keys list\` shows them`);
      return revoked;
    },
    close: () => store.close(),
  };
}

function urlBackend(url: string, fetchImpl: typeof fetch): KeysBackend {
  const call = controlApiClient({ url, fetchImpl });
  return {
    create: async (key) => {
      const { secret, ...record } = await call<KeyRecord & { secret: string }>('POST', '/api/keys', key);
      return { record, secret };
    },
    list: async () => (await call<{ keys: KeyRecord[] }>('GET', '/api/keys')).keys,
    revoke: (id) => call<KeyRecord>('DELETE', `/api/keys/${encodeURIComponent(id)}`),
    close: () => Promise.resolve(),
  };
}

function numberOption(text: string | undefined): number | undefined {
  return text === undefined ? undefined : Number(text);
}

/** The key `keel keys create` was asked for, validated like POST /api/keys; errors name the flag. */
export function parseNewKey(values: Record<string, string | undefined>): NewKey {
  const rateLimits = {
    requestsPerMinute: numberOption(values.rpm),
    tokensPerMinute: numberOption(values.tpm),
  };
  const budget = {
    dailyUsd: numberOption(values['daily-usd']),
    monthlyUsd: numberOption(values['monthly-usd']),
  };
  const parsed = newKeySchema.safeParse({
    name: values.name,
    team: values.team,
    application: values.application,
    environment: values.environment,
    allowedModels: values.models
      ?.split(',')
      .map((model) => model.trim())
      .filter((model) => model !== ''),
    rateLimits: Object.values(rateLimits).some((value) => value !== undefined) ? rateLimits : undefined,
    budget: Object.values(budget).some((value) => value !== undefined) ? budget : undefined,
  });
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const path = issue?.path.map(String).join('.') ?? '';
    throw new Error(`${flagOf[path] ?? path}: ${issue?.message ?? 'invalid'}`);
  }
  return parsed.data;
}

function describeKey(key: KeyRecord): string[] {
  const limits = [
    key.rateLimits?.requestsPerMinute === undefined
      ? undefined
      : `${key.rateLimits.requestsPerMinute} req/min`,
    key.rateLimits?.tokensPerMinute === undefined
      ? undefined
      : `${key.rateLimits.tokensPerMinute} tokens/min`,
    key.budget?.dailyUsd === undefined ? undefined : `$${key.budget.dailyUsd}/day`,
    key.budget?.monthlyUsd === undefined ? undefined : `$${key.budget.monthlyUsd}/month`,
  ].filter((item) => item !== undefined);
  return [
    `  team:        ${key.team ?? '-'}`,
    `  application: ${key.application ?? '-'}`,
    `  environment: ${key.environment ?? '-'}`,
    `  models:      ${key.allowedModels?.join(', ') ?? 'any'}`,
    `  limits:      ${limits.join(', ') || 'none'}`,
  ];
}

/** The key list as a plain-text table. */
export function formatKeyTable(keys: readonly KeyRecord[]): string {
  if (keys.length === 0) return 'No gateway keys: Keel is open to any client.\n';
  const rows = [
    ['ID', 'NAME', 'PREFIX', 'TEAM', 'APPLICATION', 'ENVIRONMENT', 'MODELS', 'CREATED', 'STATUS'],
    ...keys.map((key) => [
      key.id,
      key.name,
      key.prefix,
      key.team ?? '-',
      key.application ?? '-',
      key.environment ?? '-',
      key.allowedModels?.join(',') ?? 'any',
      key.createdAt.slice(0, 19).replace('T', ' '),
      key.revokedAt === undefined
        ? key.source === 'config'
          ? 'active (config)'
          : 'active'
        : `revoked ${key.revokedAt.slice(0, 10)}`,
    ]),
  ];
  const widths =
    rows[0]?.map((_cell, column) => Math.max(...rows.map((row) => (row[column] ?? '').length))) ?? [];
  return `${rows
    .map((row) =>
      row
        .map((cell, column) => cell.padEnd(widths[column] ?? 0))
        .join('  ')
        .trimEnd(),
    )
    .join('\n')}\n`;
}

/**
 * Runs `keel keys <action> ...` and returns what to print.
 * @example process.stdout.write(await keysCommand(['list', '--file', './data/keys.db']))
 */
export async function keysCommand(args: string[], fetchImpl: typeof fetch = fetch): Promise<string> {
  const [action, ...rest] = args;
  const { values, positionals } = parseArgs({
    args: rest,
    options: {
      url: { type: 'string' },
      file: { type: 'string' },
      name: { type: 'string' },
      team: { type: 'string' },
      application: { type: 'string' },
      environment: { type: 'string' },
      models: { type: 'string' },
      rpm: { type: 'string' },
      tpm: { type: 'string' },
      'daily-usd': { type: 'string' },
      'monthly-usd': { type: 'string' },
    },
    allowPositionals: true,
    strict: true,
  });
  if (action === 'generate') {
    const secret = generateKeySecret();
    return `secret:     ${secret}\nsecretHash: ${hashKeySecret(secret)}\n\nPut the secret in an environment variable (secret: \${KEEL_KEY_...}) or only the hash in keys.static.\n`;
  }
  if (action !== 'create' && action !== 'list' && action !== 'revoke') {
    throw new Error(`keel keys needs create, list, revoke or generate; got "${action ?? ''}"`);
  }
  const newKey = action === 'create' ? parseNewKey(values) : undefined;
  const backend =
    values.file !== undefined
      ? fileBackend(values.file, action !== 'create')
      : urlBackend(values.url ?? 'http://127.0.0.1:8080', fetchImpl);
  try {
    if (newKey !== undefined) {
      const { record, secret } = await backend.create(newKey);
      return [
        `Created gateway key ${record.id} (${record.name})`,
        ...describeKey(record),
        '',
        'Secret (shown this once; Keel keeps only its hash, so store it now):',
        `  ${secret}`,
        '',
        'Clients send it as Authorization: Bearer <secret> (the OpenAI SDKs: apiKey).',
        '',
      ].join('\n');
    }
    if (action === 'list') return formatKeyTable(await backend.list());
    const id = positionals[0];
    if (id === undefined) throw new Error('keel keys revoke needs a key id (`keel keys list` shows them)');
    const revoked = await backend.revoke(id);
    return `Revoked ${revoked.id} (${revoked.name}) at ${revoked.revokedAt ?? 'an unknown time'}; requests with it get 401 from now on.\n`;
  } finally {
    await backend.close();
  }
}
