// Reads a request's Cache-Control header into what the response cache honours (RFC 9111 section 5.2.1).

/** The request directives the response cache acts on. */
export interface CacheDirectives {
  /** Do not answer from the cache; a fresh answer is still stored. */
  noCache: boolean;
  /** Neither read nor write the cache for this request. */
  noStore: boolean;
  /** Accept a cached answer only if it is at most this many seconds old. */
  maxAgeSeconds?: number | undefined;
}

/**
 * Parses a Cache-Control request header. Directive names are case-insensitive; unknown directives
 * and malformed values are ignored, as RFC 9111 asks. Of several max-age values the smallest wins
 * (the strictest reading).
 * @example parseCacheControl('no-cache, max-age=60') // { noCache: true, noStore: false, maxAgeSeconds: 60 }
 */
export function parseCacheControl(header: string | undefined): CacheDirectives {
  const directives: CacheDirectives = { noCache: false, noStore: false };
  if (header === undefined) return directives;
  for (const item of header.split(',')) {
    const equals = item.indexOf('=');
    const name = (equals < 0 ? item : item.slice(0, equals)).trim().toLowerCase();
    const value =
      equals < 0
        ? undefined
        : item
            .slice(equals + 1)
            .trim()
            .replace(/^"(.*)"$/, '$1');
    if (name === 'no-cache') directives.noCache = true;
    else if (name === 'no-store') directives.noStore = true;
    else if (name === 'max-age' && value !== undefined && /^\d+$/.test(value)) {
      const seconds = Number(value);
      directives.maxAgeSeconds = Math.min(seconds, directives.maxAgeSeconds ?? seconds);
    }
  }
  return directives;
}
