// Query strings read as one string per parameter: a repeated parameter is remembered, then refused.
import { parse } from 'node:querystring';
import { invalidRequest, type KeelError } from '../spec/index.js';

const repeated = Symbol('keel.repeatedQueryParameters');

type ParsedQuery = Record<string, string> & { [repeated]?: Map<string, number> };

/**
 * The query as one string per name (the last one given); names given more than once are kept
 * aside so that `repeatedParameterError` can refuse the request in Keel's error shape.
 * @example parseQueryString('status=active&status=stable') // { status: 'stable' }, status repeated
 */
export function parseQueryString(text: string): Record<string, string> {
  const query: ParsedQuery = Object.create(null) as ParsedQuery;
  if (text.length === 0) return query;
  const counts = new Map<string, number>();
  for (const [name, value] of Object.entries(parse(text))) {
    if (Array.isArray(value)) {
      counts.set(name, value.length);
      query[name] = value.at(-1) ?? '';
    } else {
      query[name] = value ?? '';
    }
  }
  if (counts.size > 0) {
    Object.defineProperty(query, repeated, { value: counts, enumerable: false });
  }
  return query;
}

/** A 400 KEEL_INVALID_REQUEST naming the first parameter given more than once, or undefined. */
export function repeatedParameterError(query: unknown): KeelError | undefined {
  if (query === null || typeof query !== 'object') return undefined;
  const counts = (query as ParsedQuery)[repeated];
  const first = counts?.entries().next().value;
  if (first === undefined) return undefined;
  const [name, count] = first;
  return invalidRequest(`'${name}' was given ${count} times; give it once.`, name);
}
