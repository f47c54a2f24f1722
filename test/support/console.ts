/**
 * What every Chromium test of the web console starts: a real registry with
 * two pushed images, a real `tug serve` (child process, temp data dir, admin
 * token file) serving web/dist, and Debian's Chromium driven by
 * playwright-core. One harness per test file, so that each page's test
 * (test/web/*.test.ts) stands alone; `stop()` ends every process it started.
 *
 * Screenshots are written to docs/screenshots/ only with
 * UPDATE_SCREENSHOTS=1, so that a test run leaves the working tree as it
 * found it.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { type BrowserContext, chromium, type Locator, type Page } from 'playwright-core';
import { API_PREFIX } from '../../src/api/types.ts';
import { makeImage, pushImage } from './images.ts';
import { startRegistry, type TestRegistry } from './registry.ts';
import { type ServeProcess, spawnServe } from './serve.ts';
import { tempDir } from './tmp.ts';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const SHOTS = join(ROOT, 'docs/screenshots');
/** Screenshots are written to the repository only when asked for (`UPDATE_SCREENSHOTS=1 npm test`). */
export const UPDATE_SCREENSHOTS = process.env.UPDATE_SCREENSHOTS === '1';

export interface ApiAnswer {
  status: number;
  /** The API's JSON (text for other answers), read by tests field by field. */
  body: any;
}

export interface ConsoleOptions {
  /** Extra `tug serve` flags. */
  serveArgs?: string[];
  /** The browser's language (default zh-CN, the console's default). */
  locale?: string;
  viewport?: { width: number; height: number };
}

export interface ConsoleHarness {
  registry: TestRegistry;
  server: ServeProcess;
  baseUrl: string;
  /** The admin token (full rights). */
  token: string;
  dataDir: string;
  context: BrowserContext;
  page: Page;
  /** What Chromium reported against the server's Content-Security-Policy (src/server/security-headers.ts). */
  cspViolations: string[];
  /** One API call with the admin token (or `as`), JSON in and out. */
  api(method: string, path: string, body?: unknown, as?: string): Promise<ApiAnswer>;
  /** Polls `fn` every 100 ms until it is true; on timeout saves a screenshot to the temp dir and throws naming `what`. */
  waitFor(what: string, fn: () => Promise<boolean>, timeoutMs?: number): Promise<void>;
  /** Picks an option in an antd Select found by its accessible name, and waits until the Select shows it. */
  pickOption(label: string, optionText: string | RegExp): Promise<void>;
  /** Renders the page; saved as docs/screenshots/NAME.png only with UPDATE_SCREENSHOTS=1. */
  shot(name: string): Promise<void>;
  /** Signs in through the login page with `token` (default the admin token) and waits for the list. */
  signIn(token?: string): Promise<void>;
  /** The list row of `namespace/name`. */
  row(key: string): Locator;
  stop(): Promise<void>;
}

/** A Repository body for the API, pointing at the test registry's Registry `default/local`. */
export function repoBody(ns: string, name: string, repository: string, tag: string, extra: Record<string, unknown> = {}) {
  return {
    apiVersion: 'image.theriseunion.io/v1alpha1',
    kind: 'Repository',
    metadata: { name, namespace: ns },
    spec: { repository, tag, registryRef: { name: 'local', namespace: 'default' }, syncInterval: '24h', retryCount: 0, ...extra },
  };
}

/** A Registry body for the API. */
export function registryBody(ns: string, name: string, url: string, extra: Record<string, unknown> = {}) {
  return { apiVersion: 'image.theriseunion.io/v1alpha1', kind: 'Registry', metadata: { name, namespace: ns }, spec: { url, insecure: true, ...extra } };
}

/** Debian's Chromium with a profile of its own (so nothing is cached), headless, loopback only. */
/**
 * An init script that notes when the first list row enters the DOM, on the
 * page's own clock (`performance.now()`: from the navigation's start, what
 * a user waits after pressing Enter), as `globalThis.__rowsAt`. The cold-load
 * test and bench/console-cold.ts both read it; the driver's `goto` adds the
 * browser's own process and navigation set-up on top. It then calls
 * `globalThis.__tugRowsSeen()` when the driver has exposed one
 * (`page.exposeBinding`): a driver that waits for that instead of polling
 * with a locator keeps Playwright's injected script (compiled in the page,
 * ~70 ms of its main thread in a trace) out of the load it times.
 */
export const FIRST_ROW_CLOCK = `new MutationObserver((_, o) => { if (document.querySelector('tr[data-row-key]')) { globalThis.__rowsAt = performance.now(); o.disconnect(); globalThis.__tugRowsSeen?.(); } }).observe(document, { subtree: true, childList: true });`;

/** What FIRST_ROW_CLOCK noted, in whole milliseconds. */
export async function firstRowAt(page: Page): Promise<number> {
  return Math.round(await page.evaluate(() => (globalThis as unknown as { __rowsAt: number }).__rowsAt));
}

export function launchBrowser(options: Pick<ConsoleOptions, 'locale' | 'viewport'> = {}): Promise<BrowserContext> {
  return chromium.launchPersistentContext(tempDir(undefined, 'tug-chromium-'), {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    viewport: options.viewport ?? { width: 1440, height: 900 },
    locale: options.locale ?? 'zh-CN',
    timezoneId: 'Asia/Shanghai',
  });
}

export async function startConsole(options: ConsoleOptions = {}): Promise<ConsoleHarness> {
  if (!existsSync(CHROMIUM)) throw new Error(`no Chromium at ${CHROMIUM}: run scripts/setup.sh (apt-get install chromium)`);
  if (!existsSync(join(ROOT, 'web/dist/index.html'))) execFileSync('npm', ['run', 'build:web'], { cwd: ROOT, stdio: 'inherit' });
  const stops: (() => Promise<unknown>)[] = [];
  const stop = async () => {
    for (const s of stops.reverse()) await s().catch(() => {});
    stops.length = 0;
  };
  try {
    const registry = await startRegistry();
    stops.push(() => registry.stop());
    const push = (repository: string, tag: string, seed: string) =>
      makeImage({ seed, baseLayers: [{ seed: 'shared-base', size: 64 * 1024 }], layerSizes: [4096, 8192] }).then((img) => pushImage({ url: registry.url, repository, tag }, img));
    await push('library/nginx', 'latest', 'nginx');
    await push('library/redis', '7-alpine', 'redis');

    const dataDir = tempDir(undefined, 'tug-web-');
    const token = `tug_${randomBytes(24).toString('hex')}`;
    writeFileSync(join(dataDir, 'admin-token'), `${token}\n`, { mode: 0o600 });
    const server = await spawnServe(['--data', join(dataDir, 'data'), '--admin-token-file', join(dataDir, 'admin-token'), '--shutdown-timeout', '2', '--max-concurrent-syncs', '8', ...(options.serveArgs ?? [])]);
    stops.push(() => Promise.race([server.stop('SIGTERM'), sleep(5000).then(() => server.stop('SIGKILL'))]));
    const baseUrl = server.url;

    const context = await launchBrowser(options);
    stops.push(() => context.close());
    context.setDefaultTimeout(15_000);
    const page = context.pages()[0] ?? (await context.newPage());
    const cspViolations: string[] = [];
    page.on('pageerror', (err) => console.error('page error:', err.message));
    page.on('console', (msg) => {
      if (/Content Security Policy/i.test(msg.text())) cspViolations.push(msg.text());
    });

    const api = async (method: string, path: string, body?: unknown, as = token): Promise<ApiAnswer> => {
      const res = await fetch(`${baseUrl}${API_PREFIX}/${path}`, {
        method,
        headers: { authorization: `Bearer ${as}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
        body: body !== undefined ? JSON.stringify(body) : undefined,
      });
      const text = await res.text();
      return { status: res.status, body: text && /json/.test(res.headers.get('content-type') ?? '') ? JSON.parse(text) : text || undefined };
    };

    const waitFor = async (what: string, fn: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> => {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        if (await fn()) return;
        if (Date.now() > deadline) {
          const file = join(tmpdir(), 'tug-web-failure.png');
          await page.screenshot({ path: file }).catch(() => {});
          throw new Error(`timed out waiting for ${what} (screenshot: ${file})`);
        }
        await sleep(100);
      }
    };

    const pickOption = async (label: string, optionText: string | RegExp): Promise<void> => {
      const select = page.locator('.ant-select', { has: page.getByRole('combobox', { name: label }) });
      const shown = async () => {
        // What the closed Select displays (antd 6: its .ant-select-content-value), read as the user sees it.
        const text = (await select.first().innerText().catch(() => '')).trim();
        return typeof optionText === 'string' ? text === optionText : optionText.test(text);
      };
      // A click can land in the previous dropdown while it is still fading out (then nothing is picked): try again.
      for (let attempt = 1; ; attempt++) {
        await page.getByRole('combobox', { name: label }).click();
        await page.locator('.ant-select-dropdown:visible .ant-select-item-option').filter({ hasText: optionText }).first().click();
        try {
          await waitFor(`${label} to show ${optionText}`, shown, 3000);
          return;
        } catch (err) {
          if (attempt === 3) throw err;
          await page.keyboard.press('Escape');
        }
      }
    };

    const shot = async (name: string): Promise<void> => {
      if (UPDATE_SCREENSHOTS) mkdirSync(SHOTS, { recursive: true });
      await page.waitForTimeout(250); // let drawers and tooltips finish animating
      await page.screenshot({ ...(UPDATE_SCREENSHOTS ? { path: join(SHOTS, `${name}.png`) } : {}), style: '.ant-message { display: none !important; }', animations: 'disabled' });
    };

    const signIn = async (as = token): Promise<void> => {
      await page.goto(`${baseUrl}/login`);
      await page.getByLabel(/^(访问令牌|Access token)$/).fill(as);
      await page.getByRole('button', { name: /登\s*录|Sign in/ }).click();
      await page.waitForURL(/\/repositories/);
    };

    return {
      registry,
      server,
      baseUrl,
      token,
      dataDir,
      context,
      page,
      cspViolations,
      api,
      waitFor,
      pickOption,
      shot,
      signIn,
      row: (key) => page.locator(`tr[data-row-key="${key}"]`),
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}
