// The CLI's client for a running Keel's control API: JSON in and out, the admin token when set.

/** Calls `method path` on the control API and returns the JSON answer; a non-2xx answer throws its message. */
export type ControlApiCall = <T>(method: string, path: string, body?: unknown) => Promise<T>;

/**
 * A client for the Keel at `url`. `KEEL_ADMIN_TOKEN`, when set, is sent as the bearer token.
 * @example const call = controlApiClient({ url: 'http://127.0.0.1:8080', fetchImpl: fetch }); await call('GET', '/api/chaos');
 */
export function controlApiClient(options: { url: string; fetchImpl: typeof fetch }): ControlApiCall {
  const base = options.url.replace(/\/+$/, '');
  const token = process.env.KEEL_ADMIN_TOKEN;
  return async <T>(method: string, path: string, body?: unknown): Promise<T> => {
    const headers: Record<string, string> = {};
    if (token !== undefined && token !== '') headers.authorization = `Bearer ${token}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    const response = await options.fetchImpl(`${base}${path}`, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const answer = (await response.json()) as T & { error?: { message: string } };
    if (!response.ok)
      throw new Error(`${base} answered ${response.status}: ${answer.error?.message ?? 'no message'}`);
    return answer;
  };
}
