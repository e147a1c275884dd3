// Reads a YAML or JSON config, fills ${ENV_VAR}s, validates it once and freezes the result.
import { readFile } from 'node:fs/promises';
import { parse as parseYaml } from 'yaml';
import type { z } from 'zod';
import { ErrorCodes, KeelError } from '../spec/index.js';
import { redactRedisUrl } from '../state/redact-redis-url.js';
import { monitorTypes } from './monitors-schema.js';
import { configSchema, type KeelConfig } from './schema.js';

const providerTypes = ['openai', 'anthropic', 'gemini', 'huggingface', 'mock'] as const;

/** A config that cannot start Keel. `problems` holds one line per bad option. */
export class ConfigError extends KeelError {
  readonly problems: string[];
  constructor(source: string, problems: string[]) {
    super({
      code: ErrorCodes.configInvalid,
      status: 500,
      message: `invalid config (${source}):\n${problems.map((problem) => `  - ${problem}`).join('\n')}`,
    });
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

const placeholder = /\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-(.*?))?\}/g;

function pathText(path: ReadonlyArray<PropertyKey>): string {
  let text = '';
  for (const key of path) {
    if (typeof key === 'number') text += `[${key}]`;
    else text += text === '' ? String(key) : `.${String(key)}`;
  }
  return text === '' ? '(top level)' : text;
}

const hiddenInput = 'a value (hidden: it may hold a secret)';

/** Options whose values are (or hold) secrets: API keys, headers, key secrets, webhook URLs. */
function mayHoldSecret(path: ReadonlyArray<PropertyKey>): boolean {
  if (path.some((key) => key === 'apiKey' || key === 'headers' || key === 'secret')) return true;
  // A webhook URL holds its token (Slack's do); only a webhook's id and format are safe to echo.
  if (path[0] === 'notifications' && path[1] === 'webhooks') {
    return path[3] !== 'id' && path[3] !== 'format';
  }
  return false;
}

/**
 * How a bad value is echoed in a config error: as JSON, but never a secret. A Redis URL is shown
 * with its password as "***" (when it parses as a URL at all).
 */
function shownInput(path: ReadonlyArray<PropertyKey>, input: unknown): string {
  if (mayHoldSecret(path)) return hiddenInput;
  if (path.length === 2 && path[0] === 'state' && path[1] === 'redis' && typeof input === 'string') {
    if (input === '') return '""';
    return URL.canParse(input) ? JSON.stringify(redactRedisUrl(input)) : hiddenInput;
  }
  return JSON.stringify(input);
}

/**
 * Replaces `${NAME}` and `${NAME:-default}` in every string value. A variable that is unset and
 * has no default is a problem naming the option that needs it.
 */
export function substituteEnv(
  value: unknown,
  env: Record<string, string | undefined>,
  problems: string[],
  path: (string | number)[] = [],
): unknown {
  if (typeof value === 'string') {
    return value.replace(placeholder, (_match, name: string, fallback: string | undefined) => {
      const found = env[name];
      if (found !== undefined && found !== '') return found;
      if (fallback !== undefined) return fallback;
      problems.push(
        `${pathText(path)}: environment variable ${name} is not set; export ${name}=... or write \${${name}:-default}`,
      );
      return '';
    });
  }
  if (Array.isArray(value))
    return value.map((item, index) => substituteEnv(item, env, problems, [...path, index]));
  if (value !== null && typeof value === 'object') {
    const result: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value))
      result[key] = substituteEnv(item, env, problems, [...path, key]);
    return result;
  }
  return value;
}

export function describeIssue(issue: z.core.$ZodIssue): string {
  const where = pathText(issue.path);
  // Whole objects are not worth echoing: the path already says where the problem is.
  const input = 'input' in issue ? issue.input : undefined;
  const shown =
    input === undefined || (input !== null && typeof input === 'object' && !Array.isArray(input))
      ? undefined
      : shownInput(issue.path, input);
  const got = shown === undefined ? '' : `got ${shown.length > 80 ? `${shown.slice(0, 77)}...` : shown}; `;
  switch (issue.code) {
    case 'unrecognized_keys':
      return `${where}: unknown option${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((key) => `"${key}"`).join(', ')}; remove it or check its spelling in docs/configuration.md`;
    case 'invalid_type':
      if (issue.input === undefined) {
        return `${where}: required; add ${issue.expected === 'array' ? 'a list' : `a ${issue.expected}`} (see docs/configuration.md)`;
      }
      return `${where}: ${got}write ${issue.expected === 'int' ? 'a whole number' : /^[aeiou]/.test(issue.expected) ? `an ${issue.expected}` : `a ${issue.expected}`} instead`;
    case 'invalid_union': {
      const discriminator = (issue as { discriminator?: string }).discriminator;
      if (discriminator !== undefined) {
        const value = (issue.input as Record<string, unknown> | undefined)?.[discriminator];
        const field = issue.path.at(-1) === discriminator ? where : `${where}.${discriminator}`;
        const choices = issue.path[0] === 'monitors' ? monitorTypes : providerTypes;
        return `${field}: got ${JSON.stringify(value)}; use one of ${choices.join(', ')}`;
      }
      return `${where}: ${got}${issue.message}`;
    }
    case 'invalid_value':
      return `${where}: ${got}use one of ${issue.values.map((value) => JSON.stringify(value)).join(', ')}`;
    case 'too_small':
      return `${where}: ${got}use ${issue.origin === 'array' ? 'a list of' : 'a value'} ${issue.inclusive === false ? 'above' : 'at least'} ${String(issue.minimum)}`;
    case 'too_big':
      return `${where}: ${got}use ${issue.origin === 'array' ? 'a list of' : 'a value'} ${issue.inclusive === false ? 'below' : 'at most'} ${String(issue.maximum)}`;
    default:
      return `${where}: ${got}${issue.message}`;
  }
}

/** Validates an already-parsed config object. Throws ConfigError listing every problem. */
export function validateConfig(
  raw: unknown,
  options: { source: string; env?: Record<string, string | undefined> },
): Readonly<KeelConfig> {
  const problems: string[] = [];
  const substituted = substituteEnv(raw ?? {}, options.env ?? process.env, problems);
  const result = configSchema.safeParse(substituted, { reportInput: true });
  if (!result.success) problems.push(...result.error.issues.map(describeIssue));
  if (problems.length > 0 || !result.success) throw new ConfigError(options.source, problems);
  return deepFreeze(result.data);
}

/** Parses config text; `.json` files as JSON, everything else as YAML (which also reads JSON). */
export function parseConfigText(
  text: string,
  options: { source: string; env?: Record<string, string | undefined> },
): Readonly<KeelConfig> {
  let raw: unknown;
  try {
    raw = options.source.endsWith('.json') ? JSON.parse(text) : parseYaml(text);
  } catch (error) {
    const detail = error instanceof Error ? error.message.split('\n')[0] : String(error);
    throw new ConfigError(options.source, [`the file is not valid YAML or JSON: ${detail}`]);
  }
  return validateConfig(raw, options);
}

/** Reads and validates a config file. */
export async function loadConfigFile(
  path: string,
  env: Record<string, string | undefined> = process.env,
): Promise<Readonly<KeelConfig>> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    const reason = (error as { code?: string }).code === 'ENOENT' ? 'no such file' : String(error);
    throw new ConfigError(path, [
      `cannot read the config file: ${reason}; pass an existing file to --config`,
    ]);
  }
  return parseConfigText(text, { source: path, env });
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const item of Object.values(value)) deepFreeze(item);
  }
  return value;
}
