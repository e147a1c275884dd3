// The dashboard's only way to the server: fetch on /api/* with the admin token, asking for it once on a 401.
import { h } from './dom.js';

const tokenKey = 'keel.adminToken';

/** An /api answer that was not 2xx, with Keel's error code when the body had one. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string | undefined,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/** Query parameters; undefined and empty values are left out. */
export type Query = Record<string, string | number | undefined>;

/** Reads and writes the control API. One per page load; the token lives in sessionStorage. */
export class ApiClient {
  private tokenPrompt: Promise<string> | undefined;

  constructor(private readonly storage: Storage) {}

  /** GET a JSON document. */
  get<T>(path: string, query: Query = {}): Promise<T> {
    return this.request<T>({ method: 'GET', path, query });
  }

  /** POST (or PATCH) a JSON body. */
  send<T>(method: 'POST' | 'PATCH', path: string, body: unknown): Promise<T> {
    return this.request<T>({ method, path, body });
  }

  /** GET a text document (the postmortem draft). */
  async text(path: string): Promise<string> {
    const response = await this.fetchWithToken({ method: 'GET', path });
    return response.text();
  }

  private async request<T>(options: {
    method: string;
    path: string;
    query?: Query;
    body?: unknown;
  }): Promise<T> {
    const response = await this.fetchWithToken(options);
    return (await response.json()) as T;
  }

  private async fetchWithToken(options: { method: string; path: string; query?: Query; body?: unknown }) {
    const url = new URL(options.path, window.location.origin);
    for (const [name, value] of Object.entries(options.query ?? {})) {
      if (value !== undefined && value !== '') url.searchParams.set(name, String(value));
    }
    for (let attempt = 0; ; attempt += 1) {
      const headers: Record<string, string> = { accept: 'application/json' };
      const token = this.storage.getItem(tokenKey);
      if (token !== null) headers.authorization = `Bearer ${token}`;
      if (options.body !== undefined) headers['content-type'] = 'application/json';
      const response = await fetch(url, {
        method: options.method,
        headers,
        body: options.body === undefined ? undefined : JSON.stringify(options.body),
      });
      if (response.ok) return response;
      const error = await readError(response);
      if (error.code === 'KEEL_ADMIN_UNAUTHORIZED' && attempt < 3) {
        this.storage.removeItem(tokenKey);
        this.storage.setItem(tokenKey, await this.askForToken(token !== null));
        continue;
      }
      throw error;
    }
  }

  /** One prompt at a time, however many requests got the 401. */
  private askForToken(wasWrong: boolean): Promise<string> {
    this.tokenPrompt ??= showTokenPrompt(wasWrong).finally(() => {
      this.tokenPrompt = undefined;
    });
    return this.tokenPrompt;
  }
}

async function readError(response: Response): Promise<ApiError> {
  try {
    const body = (await response.json()) as { error?: { code?: string; message?: string } };
    return new ApiError(response.status, body.error?.code, body.error?.message ?? `HTTP ${response.status}`);
  } catch {
    return new ApiError(response.status, undefined, `HTTP ${response.status}`);
  }
}

function showTokenPrompt(wasWrong: boolean): Promise<string> {
  return new Promise((resolve) => {
    const input = h('input', {
      type: 'password',
      name: 'token',
      autocomplete: 'current-password',
      placeholder: 'KEEL_ADMIN_TOKEN',
      'aria-label': 'Admin token',
      required: true,
    });
    const form = h(
      'form',
      { class: 'token-form' },
      h('h2', {}, 'Admin token'),
      h(
        'p',
        {},
        wasWrong
          ? 'That token was refused. Enter the KEEL_ADMIN_TOKEN this Keel was started with.'
          : 'This Keel guards its control API with KEEL_ADMIN_TOKEN. Enter it to continue; it is kept for this browser tab only.',
      ),
      input,
      h('button', { type: 'submit', class: 'primary' }, 'Continue'),
    );
    const overlay = h('div', { class: 'overlay', role: 'dialog', 'aria-modal': 'true' }, form);
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      const value = input.value.trim();
      if (value === '') return;
      overlay.remove();
      resolve(value);
    });
    document.body.appendChild(overlay);
    input.focus();
  });
}
