// Browser-test harness: a Livedesk server on 127.0.0.1 (port 0, temporary data directory),
// an admin and an inbox, a host page served from another origin (http://localhost:PORT), an
// agent WebSocket client, and Debian's Chromium driven by playwright-core.
//
// Builds nothing: it expects target/debug/livedesk (`cargo build -p livedesk`).

import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import WebSocket from 'ws';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const BIN = process.env.LIVEDESK_BIN || path.join(ROOT, 'target/debug/livedesk');
export const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
export const PASSWORD = 'correct horse battery';

/** The environment for server processes: this one's, without the harness's own `LIVEDESK_BIN` (the server
 * reads every `LIVEDESK_*` variable as configuration and refuses keys it does not know). */
function serverEnv(...more) {
  const { LIVEDESK_BIN: _bin, ...rest } = process.env;
  return Object.assign(rest, TEST_ENV, ...more);
}

const TEST_ENV = {
  LIVEDESK_LIMITS__LOGIN: '1000/s',
  LIVEDESK_LIMITS__WIDGET_SESSIONS: '1000/s',
  LIVEDESK_LIMITS__CONVERSATIONS: '1000/s',
  RUST_LOG: process.env.RUST_LOG || 'warn',
};

function requireBinaries() {
  if (!existsSync(BIN)) {
    throw new Error(`${BIN} is missing: build it first with \`cargo build -p livedesk\``);
  }
  if (!existsSync(CHROMIUM)) {
    throw new Error(`${CHROMIUM} is missing: install Debian's Chromium (\`apt-get install -y chromium\`)`);
  }
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Polls `fn` until it returns a truthy value. */
export async function until(fn, { timeout = 15000, interval = 100, what = 'condition' } = {}) {
  const end = Date.now() + timeout;
  let last;
  for (;;) {
    try {
      last = await fn();
      if (last) return last;
    } catch (e) {
      last = e;
    }
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}; last: ${last}`);
    await sleep(interval);
  }
}

/** A `livedesk serve` process. `stop()` sends SIGTERM and waits for the exit. */
export class Server {
  constructor(dataDir, env = {}) {
    this.dataDir = dataDir;
    this.env = env;
    this.port = 0;
    this.proc = null;
    this.log = '';
  }

  get url() {
    return `http://127.0.0.1:${this.port}`;
  }

  async start() {
    const proc = spawn(BIN, ['serve', '--listen', `127.0.0.1:${this.port}`, '--data-dir', this.dataDir], {
      env: serverEnv(this.env),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.proc = proc;
    this.exited = new Promise((resolve) => proc.once('exit', (code, signal) => resolve({ code, signal })));
    const url = await new Promise((resolve, reject) => {
      const onData = (chunk) => {
        this.log += chunk;
        const m = /serving on (http:\/\/[\d.]+:(\d+))/.exec(this.log);
        if (m) resolve(m[1]);
      };
      proc.stdout.on('data', onData);
      proc.stderr.on('data', onData);
      proc.once('exit', (code) => reject(new Error(`livedesk serve exited (${code}):\n${this.log}`)));
      setTimeout(() => reject(new Error(`livedesk serve did not start:\n${this.log}`)), 30000);
    });
    this.port = Number(new URL(url).port);
    return this;
  }

  async stop() {
    if (!this.proc || this.proc.exitCode !== null) return;
    this.proc.kill('SIGTERM');
    const t = setTimeout(() => this.proc?.kill('SIGKILL'), 10000);
    await this.exited;
    clearTimeout(t);
  }

  /** Same data directory, same port. */
  async restart() {
    await this.stop();
    this.log = '';
    return this.start();
  }
}

/** JSON over HTTP against the server. Returns {status, body}. */
export async function request(base, method, path, { token, body, headers = {} } = {}) {
  const res = await fetch(base + path, {
    method,
    headers: {
      ...(token ? { Authorization: `Bearer ${token}` } : {}),
      ...(body !== undefined && !(body instanceof Uint8Array) ? { 'Content-Type': 'application/json' } : {}),
      ...headers,
    },
    body: body === undefined ? undefined : body instanceof Uint8Array ? body : JSON.stringify(body),
  });
  const text = await res.text();
  let json = null;
  try { json = text ? JSON.parse(text) : null; } catch { json = text; }
  return { status: res.status, body: json, headers: res.headers };
}

/** Same as `request` but fails on a non-2xx status. */
export async function api(base, method, path, opts) {
  const r = await request(base, method, path, opts);
  if (r.status >= 300) throw new Error(`${method} ${path} → ${r.status} ${JSON.stringify(r.body)}`);
  return r.body;
}

/**
 * Serves host pages from http://localhost:PORT: the route table maps a path to HTML (or a
 * function of the request). Every page not in the table gets the default snippet page.
 */
export class HostSite {
  constructor() {
    this.routes = new Map();
    this.fallback = null;
    this.server = http.createServer((req, res) => {
      const url = new URL(req.url, 'http://localhost');
      const route = this.routes.get(url.pathname) ?? this.fallback;
      const html = typeof route === 'function' ? route(url) : route;
      if (html == null) {
        res.writeHead(404).end('not found');
        return;
      }
      res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store' }).end(html);
    });
  }

  async start() {
    // Listen on every loopback address the name `localhost` may resolve to.
    await new Promise((resolve) => this.server.listen(0, 'localhost', resolve));
    this.port = this.server.address().port;
    return this;
  }

  get origin() {
    return `http://localhost:${this.port}`;
  }

  stop() {
    this.server.closeAllConnections?.();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

/** The page a site owner makes: the queue snippet, then the loader tag. */
export function snippetPage({ livedesk, inbox, title = 'Shop', body = '', head = '', locale, position, before = '' }) {
  const attrs = [`data-inbox="${inbox}"`, locale ? `data-locale="${locale}"` : '', position ? `data-position="${position}"` : '']
    .filter(Boolean)
    .join(' ');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${title}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
${head}
<script>window.Livedesk=window.Livedesk||function(){(Livedesk.q=Livedesk.q||[]).push(arguments)};</script>
${before}
<script src="${livedesk}/widget/loader.js" ${attrs} async></script>
</head><body><main><h1>${title}</h1><p>Welcome to the shop.</p>${body}</main></body></html>`;
}

/** An agent's socket: records every frame; `next(pred)` waits for one not yet taken. */
export class AgentSocket {
  static async connect(base, token, cursors = []) {
    const s = new AgentSocket();
    await s.open(base, token, cursors);
    return s;
  }

  constructor() {
    this.frames = [];
    this.waiters = [];
    this.n = 0;
  }

  open(base, token, cursors) {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(base.replace(/^http/, 'ws') + '/ws/v1');
      this.ws = ws;
      ws.on('open', () => ws.send(JSON.stringify({ type: 'hello', id: 'hello', token, cursors })));
      ws.on('message', (data) => {
        const frame = JSON.parse(String(data));
        this.frames.push(frame);
        if (frame.type === 'welcome') resolve();
        for (const w of [...this.waiters]) w();
      });
      ws.on('error', reject);
      ws.on('close', (code) => {
        this.closed = code;
        reject(new Error('agent socket closed ' + code));
      });
    });
  }

  send(frame) {
    this.ws.send(JSON.stringify(frame));
  }

  /** The first recorded frame matching `pred` (waiting for it if need be). */
  wait(pred, timeout = 15000, what = 'an agent frame') {
    return new Promise((resolve, reject) => {
      const check = () => {
        const f = this.frames.find(pred);
        if (f) {
          this.waiters = this.waiters.filter((w) => w !== check);
          clearTimeout(timer);
          resolve(f);
        }
      };
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== check);
        reject(new Error(`timed out waiting for ${what}; got ${JSON.stringify(this.frames.map((f) => f.type))}`));
      }, timeout);
      this.waiters.push(check);
      check();
    });
  }

  /** Waits for a visitor's message with this body. */
  message(body, timeout) {
    return this.wait((f) => f.type === 'message.created' && f.message.body === body, timeout, `message "${body}"`).then((f) => f.message);
  }

  /** Sends a message and waits for its ack. */
  async say(conversationId, body, extra = {}) {
    const id = 'a' + ++this.n;
    const client_msg_id = `agent-${Date.now()}-${this.n}`;
    this.send({ type: 'message.send', id, conversation_id: conversationId, client_msg_id, body, ...extra });
    return this.wait((f) => f.id === id && (f.type === 'ack' || f.type === 'error'), 15000, 'ack').then((f) => {
      if (f.type === 'error') throw new Error(`send refused: ${f.code} ${f.message}`);
      return f;
    });
  }

  close() {
    this.ws.removeAllListeners('close');
    this.ws.on('error', () => {});
    this.ws.close();
  }
}

/**
 * Everything a test needs: server, admin token, inbox (allowing the host site), host site.
 * `opts.env` adds server environment; `opts.inbox` patches the inbox's widget settings.
 */
export async function setup(opts = {}) {
  requireBinaries();
  const dataDir = mkdtempSync(path.join(tmpdir(), 'livedesk-e2e-'));
  const email = 'admin@example.com';
  const made = spawnSync(BIN, ['admin', 'create', '--email', email, '--name', opts.adminName || 'Anna', '--password-stdin', '--data-dir', dataDir], {
    input: PASSWORD + '\n',
    env: serverEnv(),
    encoding: 'utf8',
  });
  if (made.status !== 0) throw new Error(`admin create failed: ${made.stderr}`);
  const server = await new Server(dataDir, opts.env).start();
  const host = await new HostSite().start();
  const login = await api(server.url, 'POST', '/api/v1/auth/login', { body: { email, password: PASSWORD } });
  const inbox = await api(server.url, 'POST', '/api/v1/inboxes', {
    token: login.token,
    body: { name: opts.inboxName || 'Acme Support', allowed_origins: [host.origin] },
  });
  if (opts.inbox) await api(server.url, 'PATCH', `/api/v1/inboxes/${inbox.id}`, { token: login.token, body: opts.inbox });
  host.fallback = (url) => snippetPage({ livedesk: server.url, inbox: inbox.id, title: 'Shop ' + url.pathname, locale: url.searchParams.get('locale') || undefined });
  const env = {
    server,
    host,
    inbox,
    token: login.token,
    agent: login.agent,
    dataDir,
    /** An agent socket, closed at teardown. */
    async agentSocket(token = login.token, cursors = []) {
      const s = await AgentSocket.connect(server.url, token, cursors);
      sockets.push(s);
      return s;
    },
    api: (method, p, o = {}) => api(server.url, method, p, { token: login.token, ...o }),
    async teardown() {
      for (const s of sockets) s.close();
      await browser?.close().catch(() => {});
      await host.stop();
      await server.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
    /** A fresh browser context (its own storage); dialogs are recorded in `dialogs`. */
    async context(options = {}) {
      browser ||= await launch();
      const context = await browser.newContext(options);
      const page = await context.newPage();
      const dialogs = [];
      page.on('dialog', (d) => {
        dialogs.push(d.message());
        d.dismiss().catch(() => {});
      });
      page.on('pageerror', (e) => errors.push(String(e)));
      page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
      return { context, page, dialogs };
    },
    errors: [],
  };
  const sockets = [];
  const errors = env.errors;
  let browser = null;
  return env;
}

// Playwright turns Chromium's third-party storage partitioning off, which leaves a cross-site
// iframe without localStorage. Shipping Chrome partitions (the widget keeps its visitor token
// in its own origin's storage, partitioned per host site), so the tests put Playwright's list
// back without that one feature (the last --disable-features wins).
const DISABLED_FEATURES = [
  'AvoidUnnecessaryBeforeUnloadCheckSync', 'DestroyProfileOnBrowserClose', 'HttpsUpgrades',
  'HttpsFirstBalancedModeAutoEnable', 'LensOverlay', 'MediaRouter', 'PaintHolding',
  'AvoidCorsURLLoaderRestartOnRedirect', 'OptimizationHints', 'NetworkTimeServiceQuerying',
  'AimEnabled', 'PreconnectToSearch',
];

export function launch() {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--disable-features=' + DISABLED_FEATURES.join(','),
    ],
  });
}

/** The widget's iframe (a Playwright Frame) once it has loaded. */
export async function widgetFrame(page) {
  return until(() => page.frames().find((f) => f.url().includes('/widget/frame')), { what: 'the widget frame' });
}

/** Waits for the launcher, clicks it and returns the frame with the composer ready. */
export async function openWidget(page) {
  const launcher = page.locator('livedesk-widget button');
  await launcher.waitFor({ state: 'visible' });
  await launcher.click();
  const frame = await widgetFrame(page);
  await frame.locator('#ld-input').waitFor({ state: 'visible' });
  return frame;
}

/** The texts of the messages shown in the widget, in order. */
export function shownMessages(frame) {
  return frame.locator('.ld-thread > li').evaluateAll((lis) =>
    lis.map((li) => ({
      body: li.querySelector('.ld-body')?.textContent ?? '',
      own: li.classList.contains('ld-own'),
      pending: li.classList.contains('ld-pending'),
      status: li.querySelector('.ld-status')?.textContent ?? '',
    })),
  );
}

// ---- agent console helpers ----

/**
 * Creates an agent in the admin's workspace, a member of `inbox_ids` (by default the test's
 * inbox). Returns the Agent plus its API `token`.
 */
export async function createAgent(env, { name, email, role = 'agent', inbox_ids = [env.inbox.id] }) {
  const agent = await env.api('POST', '/api/v1/agents', { body: { email, name, role, password: PASSWORD, inbox_ids } });
  const login = await api(env.server.url, 'POST', '/api/v1/auth/login', { body: { email, password: PASSWORD } });
  return { ...agent, token: login.token };
}

/** A fresh browser context signed in to the console at `path` (the sign-in form, as a person would). */
export async function consoleLogin(env, email, { path: at = '/app', viewport = { width: 1280, height: 800 }, init } = {}) {
  const ctx = await env.context({ viewport });
  const { page } = ctx;
  if (init) await ctx.context.addInitScript(init);
  await page.goto(env.server.url + at);
  await page.locator('#login-email').fill(email);
  await page.locator('#login-password').fill(PASSWORD);
  await page.locator('#login-password').press('Enter');
  await page.locator('.c-top').waitFor();
  await until(() => page.evaluate(() => document.getElementById('conn')?.dataset.state === 'open'), { what: 'the console socket' });
  return ctx;
}

/** The visitor token the widget keeps in its frame's storage. */
export async function visitorToken(frame) {
  return until(() => frame.evaluate(() => {
    for (let i = 0; i < localStorage.length; i++) {
      const v = localStorage.getItem(localStorage.key(i)) || '';
      if (v.startsWith('ldv_')) return v;
    }
    return null;
  }), { what: 'a visitor token in the widget' });
}

/** Records every WebSocket frame a page (and its frames) receives. */
export function recordFrames(page) {
  const frames = [];
  page.on('websocket', (ws) => {
    ws.on('framereceived', (f) => frames.push(typeof f.payload === 'string' ? f.payload : f.payload.toString()));
  });
  return frames;
}

/** The texts of the console's thread, in order: {kind, author, body, seq}. */
export function consoleThread(page) {
  return page.locator('#thread > li').evaluateAll((lis) => lis.map((li) => ({
    seq: Number(li.getAttribute('data-seq') || 0),
    cls: li.className,
    kind: li.getAttribute('data-kind') || (li.classList.contains('c-event') ? 'event' : ''),
    author: li.getAttribute('data-author') || '',
    body: li.querySelector('.c-body')?.textContent ?? '',
  })));
}

/** Console errors other than failed resource loads (a 401/404 the app handles). */
export function appErrors(env) {
  return env.errors.filter((e) => !/Failed to load resource/.test(e));
}
