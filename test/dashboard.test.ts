// The dashboard in a real browser (Debian's chromium via playwright-core) against a real Keel with an injected outage.
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKeel, type Keel } from '../src/compose/create-keel.js';
import { validateConfig, type KeelConfigInput } from '../src/config/index.js';
import type { Scheduler } from '../src/spec/index.js';
import { formatCount, formatMs } from '../src/ui/format.js';
import { readJsonFixture, startFixtureServer, type FixtureServer } from './support/fixture-server.js';
import { probeMeasurement } from './support/probe-measurements.js';
import { withTempStore } from './support/keel-harness.js';

const chromiumPath = process.env.KEEL_CHROMIUM ?? '/usr/bin/chromium';
const screenshotDirectory = join(import.meta.dirname, '..', 'test-results', 'screenshots');
/** KEEL_UPDATE_SCREENSHOTS=1 also refreshes the README's picture of the overview. */
const readmeScreenshot = join(import.meta.dirname, '..', 'docs', 'images', 'overview.png');

/** Monitor ticks run only when the test calls them. */
const manualTicks: Scheduler = { every: () => () => undefined, soon: (task) => setImmediate(task) };
const completion = () =>
  readJsonFixture(import.meta.url, '../src/providers/openai/fixtures/chat-completion.json');
const upstreamMode = { status: 200 };

/** A fresh profile, headless, with the flags this machine's closed network needs. */
async function openBrowser(): Promise<BrowserContext> {
  return chromium.launchPersistentContext(mkdtempSync(join(tmpdir(), 'keel-chromium-')), {
    executablePath: chromiumPath,
    headless: true,
    viewport: { width: 1280, height: 900 },
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(screenshotDirectory, { recursive: true });
  await page.screenshot({ path: join(screenshotDirectory, `${name}.png`), fullPage: true });
}

interface StatsGroup {
  requests: number;
  latency: { p50: number; p95: number };
}

describe('the dashboard in a browser', () => {
  let upstream: FixtureServer;
  let keel: Keel;
  let url: string;
  let browser: BrowserContext;
  let page: Page;
  const pageErrors: string[] = [];

  const api = async <T>(path: string, init: RequestInit = {}): Promise<T> => {
    const response = await fetch(`${url}${path}`, {
      ...init,
      headers: init.body === undefined ? {} : { 'content-type': 'application/json' },
    });
    expect(response.ok, path).toBe(true);
    return (await response.json()) as T;
  };
  /** Waits until the shell has rendered a page (its status line says when). */
  const settled = async () => {
    await page.locator('[data-testid=refresh-status]', { hasText: /^updated/ }).waitFor();
  };
  const open = async (path: string) => {
    await page.goto(`${url}${path}`);
    await settled();
  };

  beforeAll(async () => {
    upstream = await startFixtureServer();
    upstream.fallback = {
      kind: 'handler',
      handle: (_request, response) => {
        response.writeHead(upstreamMode.status, { 'content-type': 'application/json' });
        response.end(
          JSON.stringify(
            upstreamMode.status === 200 ? completion() : { error: { message: 'upstream down' } },
          ),
        );
      },
    };
    const config: KeelConfigInput = {
      providers: [
        { id: 'primary', type: 'openai', baseUrl: `${upstream.url}/v1` },
        { id: 'steady', type: 'mock', latencyMs: { p50: 20, p99: 60 }, seed: 7 },
      ],
      models: [
        {
          name: 'chat',
          targets: [
            { provider: 'primary', model: 'gpt-4o-mini' },
            { provider: 'steady', model: 'mock-model' },
          ],
        },
        { name: 'direct', targets: [{ provider: 'primary', model: 'gpt-4o-mini' }] },
      ],
      reliability: {
        retry: { maxAttempts: 1 },
        circuitBreaker: { consecutiveFailures: 1000, minimumRequests: 1000 },
      },
      experiments: [
        {
          id: 'steady-trial',
          model: 'chat',
          stickyBy: 'request',
          variants: [{ id: 'control' }, { id: 'steady', model: 'steady/mock-model' }],
        },
      ],
      monitors: {
        definitions: [
          {
            id: 'error-rate',
            type: 'threshold',
            metric: 'error_rate',
            groupBy: ['provider'],
            window: '5m',
            warn: 0.1,
            critical: 0.25,
            minRequests: 5,
            priority: 1,
            runbook:
              '## Errors\n\n1. Check the **provider** status page.\n2. Trip its breaker: `POST /api/breakers/trip`.',
          },
        ],
      },
    };
    keel = createKeel({
      config: validateConfig(withTempStore(config), { source: 'test', env: {} }),
      logger: pino({ level: 'silent' }),
      monitorScheduler: manualTicks,
    });
    url = await keel.listen({ port: 0, host: '127.0.0.1' });

    const client = new OpenAI({ baseURL: `${url}/v1`, apiKey: 'unused', maxRetries: 0, timeout: 10_000 });
    const calls = (model: string, count: number, headers: Record<string, string> = {}) =>
      Promise.allSettled(
        Array.from({ length: count }, (_unused, position) =>
          client.chat.completions.create(
            { model, messages: [{ role: 'user', content: `Hello ${position}, mail me at a@example.com` }] },
            { headers },
          ),
        ),
      );
    await calls('chat', 10, { 'x-keel-environment': 'production' });
    await calls('direct', 8, { 'x-keel-environment': 'staging' });
    const stream = await client.chat.completions.create({
      model: 'steady/mock-model',
      stream: true,
      messages: [{ role: 'user', content: 'Stream please' }],
    });
    for await (const _chunk of stream) void _chunk;
    // The outage: primary answers 500; `direct` fails, `chat` fails over to steady.
    upstreamMode.status = 500;
    await calls('direct', 10, { 'x-keel-environment': 'staging' });
    await calls('chat', 6, { 'x-keel-environment': 'production' });
    upstreamMode.status = 200;
    const monitors = keel.operations.monitors;
    if (monitors === undefined) throw new Error('monitors are off');
    await monitors.scheduler.tick();

    browser = await openBrowser();
    page = await browser.newPage();
    page.on('pageerror', (error) => pageErrors.push(error.message));
    page.on('dialog', (dialog) => void dialog.accept());
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await keel?.close(1000);
    await upstream?.close();
  });

  it('shows the request count and latency of /api/stats on the overview', async () => {
    await open('/ui/');
    const stats = await api<{ groups: StatsGroup[] }>('/api/stats?window=1h');
    const total = stats.groups[0];
    expect(total?.requests).toBeGreaterThan(0);
    const requests = page.locator('[data-testid=stat-requests] .stat-value');
    expect(Number(await requests.getAttribute('data-value'))).toBe(total?.requests);
    expect(await requests.textContent()).toBe(formatCount(total?.requests));
    const p95 = page.locator('[data-testid=stat-p95] .stat-value');
    expect(Number(await p95.getAttribute('data-value'))).toBeCloseTo(total?.latency.p95 ?? -1, 6);
    expect(await p95.textContent()).toBe(formatMs(total?.latency.p95));
    expect(await page.locator('[data-testid=monitor-counts]').textContent()).toContain('ALERT');
    expect(await page.locator('[data-testid=chart-requests] canvas').count()).toBeGreaterThan(0);
    expect(await page.locator('[data-testid=chart-overhead] canvas').count()).toBeGreaterThan(0);
    await screenshot(page, 'overview');
    if (process.env.KEEL_UPDATE_SCREENSHOTS === '1') await page.screenshot({ path: readmeScreenshot });
    expect(pageErrors).toEqual([]);
  });

  it('lists the incident the outage opened, and a note added in the UI lands on its timeline', async () => {
    const { incidents } = await api<{ incidents: { id: string; title: string }[] }>('/api/incidents');
    expect(incidents).toHaveLength(1);
    const incident = incidents[0]!;
    await open('/ui/');
    await page.locator('nav a', { hasText: 'Incidents' }).click();
    await settled();
    const row = page.locator('[data-testid=incidents-table] a', { hasText: incident.title });
    await row.waitFor();
    await screenshot(page, 'incidents');
    await row.click();
    await page.locator('[data-testid=timeline]').waitFor();
    expect(await page.locator('[data-testid=incident-graph] canvas').count()).toBeGreaterThan(0);
    // The runbook is markdown, rendered as elements.
    expect(await page.locator('.markdown strong', { hasText: 'provider' }).count()).toBeGreaterThan(0);

    const note = 'Tripped **primary** from the dashboard <img src=x onerror="window.injected=1">';
    await page.locator('[data-testid=note-text]').fill(note);
    await page.locator('[data-testid=note-submit]').click();
    await page.locator('[data-kind=note] strong', { hasText: 'primary' }).waitFor();
    // The note's HTML stays text.
    expect(await page.locator('[data-kind=note] img').count()).toBe(0);
    expect(await page.locator('[data-kind=note]').textContent()).toContain('<img src=x');
    const detail = await api<{ timeline: { kind: string; text: string }[] }>(`/api/incidents/${incident.id}`);
    expect(detail.timeline.filter((entry) => entry.kind === 'note').map((entry) => entry.text)).toEqual([
      note,
    ]);

    await page.locator('[data-testid=incident-change] input[name=commander]').fill('dana');
    await page.locator('[data-testid=incident-change] button[type=submit]').click();
    await page.locator('h1 + p', { hasText: 'commander dana' }).waitFor();
    const changed = await api<{ incident: { commander?: string } }>(`/api/incidents/${incident.id}`);
    expect(changed.incident.commander).toBe('dana');

    await page.locator('[data-testid=postmortem-draft]').click();
    await page.locator('.postmortem table').first().waitFor();
    await screenshot(page, 'incident-detail');
  });

  it('trips a breaker from the Providers page, and /health shows it open', async () => {
    await open('/ui/providers');
    const target = 'primary/gpt-4o-mini';
    await page.locator(`[data-testid="trip-${target}"]`).click();
    await page.locator(`[data-testid="breaker-${target}"]`, { hasText: 'open' }).waitFor();
    const health = await api<{ status: string; targets: { target: string; status: string }[] }>('/health');
    expect(health.targets.find((entry) => entry.target === target)?.status).toBe('open');
    expect(health.status).toBe('degraded');
    await screenshot(page, 'providers');
    await page.locator(`[data-testid="reset-${target}"]`).click();
    await page.locator(`[data-testid="breaker-${target}"]`, { hasText: 'closed' }).waitFor();
    const after = await api<{ targets: { target: string; status: string }[] }>('/health');
    expect(after.targets.find((entry) => entry.target === target)?.status).toBe('closed');
  });

  it('lists a chaos injection on the Providers page and clears it from there', async () => {
    await api('/api/chaos/inject', {
      method: 'POST',
      body: JSON.stringify({ target: 'primary', latencyMs: 3000, errorRate: 0.5, forMs: 300_000 }),
    });
    await open('/ui/providers');
    const row = page.locator('[data-testid=chaos-table] tr', {
      has: page.locator('[data-testid="chaos-primary"]'),
    });
    await row.waitFor();
    expect(await row.textContent()).toContain('50');
    await page.locator('[data-testid="chaos-clear-primary"]').click();
    await page.locator('[data-testid="chaos-primary"]').waitFor({ state: 'detached' });
    expect((await api<{ injections: unknown[] }>('/api/chaos')).injections).toEqual([]);
  });

  it('shows monitors with their state, a detail chart, and mutes one', async () => {
    await open('/ui/monitors');
    expect(await page.locator('[data-testid=monitor-status-error-rate]').textContent()).toContain('ALERT');
    await screenshot(page, 'monitors');
    await page.locator('[data-testid=monitors-table] a', { hasText: 'error' }).first().click();
    await page.locator('[data-testid=monitor-chart]').waitFor();
    await page.locator('[data-testid=mute-error-rate]').click();
    await page.locator('[data-testid=unmute-error-rate]').waitFor();
    const monitor = await api<{ muted: boolean }>('/api/monitors/error-rate');
    expect(monitor.muted).toBe(true);
    await screenshot(page, 'monitor-detail');
  });

  it('lists requests with previews and attempt paths, and filters them', async () => {
    await open('/ui/requests');
    const rows = page.locator('[data-testid=requests-table] tbody tr');
    expect(await rows.count()).toBeGreaterThan(10);
    // A request that failed over shows both attempts.
    expect(
      await page.locator('.attempt-path', { hasText: 'primary/gpt-4o-mini:error' }).count(),
    ).toBeGreaterThan(0);
    // Prompts are shown redacted.
    expect(await page.locator('[data-testid=requests-table]').textContent()).not.toContain('a@example.com');
    await screenshot(page, 'requests');
    // Free-text search over the page: the streamed request's prompt.
    await page.locator('[data-testid=request-filters] input[name=q]').fill('Stream please');
    await page.locator('[data-testid=request-filters] button[type=submit]').click();
    await page.waitForURL(/q=Stream/);
    await settled();
    expect(await page.locator('[data-testid=requests-table] tbody tr').count()).toBe(1);
    await page.locator('[data-testid=request-filters] a', { hasText: 'Clear' }).click();
    await settled();
    await page.locator('[data-testid=request-filters] select[name=outcome]').selectOption('error');
    await page.locator('[data-testid=request-filters] button[type=submit]').click();
    await page.waitForURL(/outcome=error/);
    await settled();
    const errorRows = await page.locator('[data-testid=requests-table] tbody tr').count();
    const errors = await api<{ items: unknown[] }>('/api/requests?outcome=error&limit=50');
    expect(errorRows).toBe(errors.items.length);
  });

  it('shows latency per environment and model, probe results, and the experiment report', async () => {
    // Probe measurements as the probe loop stores them (the loop itself is tested in probes.test.ts).
    const probe = {
      environment: 'qa',
      model: 'chat',
      ttftMs: 40,
      provider: 'steady',
      servedModel: 'mock-model',
    };
    keel.operations.probes.store.add([
      probeMeasurement({ ...probe, atMs: Date.now() - 60_000, latencyMs: 120 }),
      probeMeasurement({
        ...probe,
        atMs: Date.now(),
        success: false,
        latencyMs: 5,
        errorCode: 'KEEL_PROBE_TIMEOUT',
        error: 'late',
      }),
    ]);
    await open('/ui/environments');
    const table = await page.locator('[data-testid=environments-table]').textContent();
    expect(table).toContain('production');
    expect(table).toContain('staging');
    const probes = await page.locator('[data-testid=probes-table] tbody tr').allTextContents();
    expect(probes).toHaveLength(1);
    expect(probes[0]).toContain('qa');
    expect(probes[0]).toContain('50.0 %'); // one of two failed
    expect(probes[0]).toContain('KEEL_PROBE_TIMEOUT');
    expect(await page.locator('[data-testid=experiment-steady-trial] tbody tr').count()).toBe(2);
    await screenshot(page, 'environments');
    expect(pageErrors).toEqual([]);
  });

  it("follows the system's dark theme, and the toggle overrides it", async () => {
    await page.emulateMedia({ colorScheme: 'dark' });
    await open('/ui/overview');
    expect(await page.locator('html').getAttribute('data-theme')).toBe('dark');
    await screenshot(page, 'overview-dark');
    // auto -> dark -> light
    await page.locator('[data-testid=theme-toggle]').click();
    await page.locator('[data-testid=theme-toggle]').click();
    expect(await page.locator('html').getAttribute('data-theme')).toBe('light');
    await page.locator('[data-testid=theme-toggle]').click();
    await page.emulateMedia({ colorScheme: 'light' });
  });
});

describe('the dashboard behind an admin token', () => {
  let keel: Keel;
  let url: string;
  let browser: BrowserContext;

  beforeAll(async () => {
    keel = createKeel({
      config: validateConfig(
        withTempStore({
          providers: [{ id: 'steady', type: 'mock', latencyMs: { p50: 5, p99: 10 }, seed: 3 }],
          models: [{ name: 'chat', targets: [{ provider: 'steady', model: 'mock-model' }] }],
        }),
        { source: 'test', env: {} },
      ),
      logger: pino({ level: 'silent' }),
      adminToken: 'open-sesame',
    });
    url = await keel.listen({ port: 0, host: '127.0.0.1' });
    browser = await openBrowser();
  }, 30_000);

  afterAll(async () => {
    await browser?.close();
    await keel?.close(500);
  });

  it('asks for the token once, keeps it for the session and sends it as a bearer token', async () => {
    const page = await browser.newPage();
    const authorizations: string[] = [];
    page.on('request', (request) => {
      if (request.url().includes('/api/')) authorizations.push(request.headers().authorization ?? '');
    });
    await page.goto(`${url}/ui/`);
    const token = page.locator('.token-form input[name=token]');
    await token.fill('wrong');
    await page.locator('.token-form button').click();
    await page.locator('.token-form', { hasText: 'refused' }).waitFor();
    await token.fill('open-sesame');
    await page.locator('.token-form button').click();
    await page.locator('[data-testid=refresh-status]', { hasText: /^updated/ }).waitFor();
    expect(await page.locator('[data-testid=stat-requests] .stat-value').textContent()).toBe('0');
    expect(authorizations).toContain('Bearer open-sesame');
    // Another page in the same tab needs no prompt.
    await page.locator('nav a', { hasText: 'Providers' }).click();
    await page.locator('[data-testid=providers-table]').waitFor();
    expect(await page.locator('.token-form').count()).toBe(0);
    await screenshot(page, 'overview-after-token');
  });
});
