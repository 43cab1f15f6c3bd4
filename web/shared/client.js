// @ts-check
/* The /ws/v1 protocol client, shared by the widget and the agent console (docs/protocol.md).
 * - hello with a cursor per followed conversation; reconnect with backoff and jitter;
 * - an outbox (persisted) sent one entry at a time, in order, retried with the same
 *   client_msg_id until acked: never lost, never stored twice;
 * - per-conversation last_seq: duplicates dropped, gaps filled over REST;
 * - typing, receipts, page views; events via on().
 * Also `api()`, a fetch wrapper for /api/v1. Types: protocol.d.ts. */

/**
 * @typedef {import('./protocol.js').Message} Message
 * @typedef {import('./protocol.js').OutboxEntry} OutboxEntry
 * @typedef {import('./protocol.js').ClientEvents} Events
 * @typedef {import('./protocol.js').ClientOptions} Options
 * @typedef {import('./protocol.js').ConnState} ConnState
 * @typedef {import('./protocol.js').PageView} PageView
 * @typedef {{last: number, seen: Set<number>, filling: boolean, again: boolean}} Cursor
 */

/** Send errors worth retrying; any other drops the entry (reported as `failed`). */
const RETRY = ['rate_limited', 'unavailable', 'internal'];

/**
 * A UUIDv7 (RFC 9562): 48 bits of Unix milliseconds, then random bits. Message ids made in
 * time order let the server append its duplicate index at one end instead of all over it.
 * @param {number} [ms]
 */
export function uuidv7(ms = Date.now()) {
  const b = crypto.getRandomValues(new Uint8Array(16));
  for (let i = 0; i < 6; i++) b[i] = Math.floor(ms / 2 ** (8 * (5 - i))) % 256;
  b[6] = 0x70 | (b[6] & 0x0f);
  b[8] = 0x80 | (b[8] & 0x3f);
  const hex = [...b].map((x) => x.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** Delay before reconnect attempt `n`: 0.5 s doubling to 15 s, times 0.5–1 (jitter). @param {number} n */
export function backoff(n) {
  return Math.round(Math.min(15000, 500 * 2 ** Math.min(n, 5)) * (0.5 + Math.random() / 2));
}

export class Client {
  /** @param {Options} opts */
  constructor(opts) {
    this.opts = opts;
    /** @type {ConnState} */
    this.state = 'idle';
    /** @type {WebSocket|null} */
    this.ws = null;
    this.attempt = 0;
    this.heartbeat = 30000;
    this.heard = 0;
    this.pinged = 0;
    /** Bumped per connection attempt, so a slow token lookup cannot open a second socket. */
    this.gen = 0;
    this.frameNo = 0;
    /** @type {Map<string, Cursor>} */
    this.convs = new Map();
    /** @type {OutboxEntry[]} */
    this.entries = [];
    try {
      this.entries = JSON.parse((opts.outboxKey && opts.storage?.getItem(opts.outboxKey)) || '[]');
    } catch { /* unreadable: start empty */ }
    /** The client_msg_id awaiting its ack. @type {string|null} */
    this.inflight = null;
    /** Latest receipt per conversation and status, resent after a reconnect. @type {Map<string, {conversation_id: string, seq: number, status: string, sent: number}>} */
    this.receipts = new Map();
    /** @type {PageView|null} */
    this.page = null;
    /** @type {Record<string, Function[]>} */
    this.handlers = {};
    /** @type {ReturnType<typeof setTimeout>[]} */
    this.timers = [];
    globalThis.addEventListener?.('online', () => {
      if (this.state === 'connecting' && !this.ws) this.connect();
    });
  }

  /**
   * @template {keyof Events} K
   * @param {K} type
   * @param {(e: Events[K]) => void} fn
   */
  on(type, fn) {
    (this.handlers[type] ||= []).push(fn);
  }

  /**
   * @template {keyof Events} K
   * @param {K} type
   * @param {Events[K]} detail
   */
  emit(type, detail) {
    for (const fn of this.handlers[type] || []) {
      try { fn(detail); } catch (e) { console.error(e); }
    }
  }

  /** Connects; reconnects by itself until `stop()` or a close code that forbids it. */
  start() {
    if (this.state !== 'open' && this.state !== 'connecting') this.connect();
  }

  stop() {
    this.setState('stopped');
    this.drop();
  }

  /** A new socket now, e.g. after the token changed. */
  reconnect() {
    this.drop();
    this.attempt = 0;
    this.connect();
  }

  drop() {
    this.timers.forEach(clearTimeout);
    this.timers = [];
    const ws = this.ws;
    this.ws = null;
    this.inflight = null;
    ws?.close(1000);
  }

  get connected() {
    return this.state === 'open';
  }

  /** @param {ConnState} state */
  setState(state) {
    this.state = state;
    this.emit('status', { state, attempt: this.attempt });
  }

  /** @param {() => void} fn @param {number} ms */
  later(fn, ms) {
    this.timers.push(setTimeout(fn, ms));
  }

  async connect() {
    const gen = ++this.gen;
    this.setState('connecting');
    /** @type {WebSocket} */
    let ws;
    try {
      const token = await this.opts.token();
      if (gen !== this.gen || this.ws) return;
      ws = new (this.opts.WebSocket || WebSocket)(this.opts.url);
      ws.onopen = () => {
        const cursors = [...this.convs].map(([conversation_id, c]) => ({ conversation_id, last_seq: c.last }));
        ws?.send(JSON.stringify({ type: 'hello', id: 'hello', token, cursors }));
      };
    } catch {
      return this.retry(0);
    }
    this.ws = ws;
    this.later(() => this.state === 'connecting' && this.ws === ws && ws.close(), 10000);
    ws.onmessage = (ev) => {
      if (this.ws !== ws) return;
      this.heard = Date.now();
      try {
        this.frame(JSON.parse(String(ev.data)));
      } catch (e) {
        console.error(e);
      }
    };
    ws.onclose = (ev) => {
      if (this.ws !== ws) return;
      this.drop();
      // close.rs: 4001/4003 need a new token, 4400 must not reconnect, 4029 waits ≥ 5 s.
      if (ev.code === 4001 || ev.code === 4003) this.setState('unauthorized');
      else if (ev.code === 4400) this.setState('stopped');
      else this.retry(ev.code === 4029 ? 5000 : 0);
    };
  }

  /** @param {number} atLeast */
  retry(atLeast) {
    if (this.state === 'stopped') return;
    this.later(() => this.connect(), Math.max(atLeast, backoff(this.attempt++)));
    this.setState('connecting');
  }

  /** @param {Record<string, any>} frame */
  send(frame) {
    if (this.ws?.readyState !== 1) return false;
    this.ws.send(JSON.stringify(frame));
    return true;
  }

  /** @param {any} f a server frame */
  frame(f) {
    const t = f.type;
    if (t === 'welcome') {
      this.attempt = 0;
      this.heartbeat = f.heartbeat_ms || 30000;
      this.pinged = 0;
      this.timers.forEach(clearTimeout);
      this.setState('open');
      this.emit('welcome', { principal: f.principal, heartbeat_ms: this.heartbeat });
      this.beat();
      if (this.page) this.pageView(this.page);
      for (const r of this.receipts.values()) {
        r.sent = 0;
        this.receipt(r.conversation_id, r.seq, /** @type {any} */ (r.status));
      }
      this.pump();
    } else if (t === 'message.created') this.accept(f.message, false);
    else if (t === 'resumed') {
      // recovered: everything up to last_seq is held; else more was missed than replayed.
      if (f.recovered) this.advance(this.conv(f.conversation_id), f.last_seq);
      else this.fill(f.conversation_id);
    } else if (t === 'ack') this.acked(f);
    else if (t === 'error') this.refused(f);
    else if (t === 'typing') this.emit('typing', f);
    else if (t === 'queue') this.emit('queue', f);
    else if (t === 'receipt') this.emit('receipt', f);
    else if (t === 'conversation.created' || t === 'conversation.updated') this.emit('conversation', f);
  }

  /**
   * A ping per heartbeat. A ping still unanswered a heartbeat later means a dead socket
   * (measured from the ping, so timers slowed down in a hidden tab do not look like one).
   */
  beat() {
    const ws = this.ws;
    this.later(() => {
      if (this.ws !== ws) return;
      if (this.pinged > this.heard) return ws?.close();
      this.pinged = Date.now();
      this.send({ type: 'ping' });
      this.beat();
    }, this.heartbeat);
  }

  // ---- cursors ----

  /** @param {string} id */
  conv(id) {
    let c = this.convs.get(id);
    if (!c) this.convs.set(id, (c = { last: 0, seen: new Set(), filling: false, again: false }));
    return c;
  }

  /**
   * Follow a conversation whose messages up to `lastSeq` the caller holds (asks for the rest).
   * @param {string} id
   * @param {number} lastSeq
   */
  watch(id, lastSeq) {
    const c = this.conv(id);
    this.advance(c, lastSeq);
    this.send({ type: 'resume', conversation_id: id, last_seq: c.last });
  }

  /** Forget every cursor and receipt (the visitor became someone else). */
  reset() {
    this.convs.clear();
    this.receipts.clear();
  }

  /** @param {Cursor} c @param {number} seq everything up to it is held */
  advance(c, seq) {
    c.last = Math.max(c.last, seq);
    while (c.seen.has(c.last + 1)) c.last++;
    for (const s of c.seen) if (s <= c.last) c.seen.delete(s);
  }

  /**
   * Emits a message not seen before; one past a hole starts a gap fill. A conversation not
   * followed yet starts at its first message.
   * @param {Message} m
   * @param {boolean} filling
   */
  accept(m, filling) {
    if (!this.convs.has(m.conversation_id)) this.conv(m.conversation_id).last = m.seq - 1;
    const c = this.conv(m.conversation_id);
    if (m.seq <= c.last || c.seen.has(m.seq)) return;
    c.seen.add(m.seq);
    const gap = m.seq > c.last + 1;
    this.advance(c, c.last);
    if (gap && !filling) this.fill(m.conversation_id);
    this.emit('message', { message: m });
  }

  /**
   * Loads what follows the cursor over REST. Visitors see holes where private notes are, so a
   * last page moves the cursor to the conversation's `last_seq`, not to its last message.
   * @param {string} id
   */
  async fill(id) {
    const c = this.conv(id);
    if (c.filling) return void (c.again = true);
    c.filling = true;
    try {
      do {
        c.again = false;
        for (let more = true; more;) {
          const page = await this.opts.fetchAfter(id, c.last);
          page.messages.forEach((m) => this.accept(m, true));
          more = page.has_more && page.messages.length > 0;
          this.advance(c, more ? page.messages[page.messages.length - 1].seq : page.last_seq);
        }
      } while (c.again);
    } catch {
      setTimeout(() => this.fill(id), 3000);
    } finally {
      c.filling = false;
    }
  }

  // ---- outbox ----

  save() {
    const { storage, outboxKey } = this.opts;
    try {
      if (outboxKey && this.entries.length) storage?.setItem(outboxKey, JSON.stringify(this.entries));
      else if (outboxKey) storage?.removeItem(outboxKey);
    } catch { /* storage full: the outbox still lives in memory */ }
    this.emit('outbox', { entries: this.outbox });
  }

  /** Entries not yet acked, oldest first. */
  get outbox() {
    return this.entries.slice();
  }

  /**
   * Queue a message: sent now if connected, else after the next `welcome`. The conversation
   * may be '' while it is being created (see `assign`).
   * @param {string} conversationId
   * @param {string} body
   * @param {Partial<OutboxEntry>} [extra] `attachment_id` (sent) and `attachment` (shown)
   */
  enqueue(conversationId, body, extra) {
    /** @type {OutboxEntry} */
    const entry = { ...extra, client_msg_id: uuidv7(), conversation_id: conversationId, body, created_at: Date.now() };
    this.entries.push(entry);
    this.save();
    this.pump();
    return entry;
  }

  /** Gives the entries queued without a conversation this one. @param {string} conversationId */
  assign(conversationId) {
    for (const e of this.entries) e.conversation_id ||= conversationId;
    this.save();
    this.pump();
  }

  /** Sends the oldest entry; one at a time, so they are stored in the order typed. */
  pump() {
    const e = this.entries.find((x) => x.conversation_id);
    if (!this.connected || this.inflight || !e) return;
    this.inflight = e.client_msg_id;
    const { conversation_id, client_msg_id, body, attachment_id } = e;
    this.send({ type: 'message.send', id: client_msg_id, conversation_id, client_msg_id, body, ...(attachment_id ? { attachment_id } : {}) });
    const ws = this.ws;
    // No ack in time: a new socket, and the same client_msg_id again.
    this.later(() => this.inflight === client_msg_id && this.ws === ws && ws?.close(), 15000);
  }

  /** @param {{client_msg_id: string}} ack */
  acked(ack) {
    if (this.inflight === ack.client_msg_id) this.inflight = null;
    const i = this.entries.findIndex((x) => x.client_msg_id === ack.client_msg_id);
    if (i >= 0) {
      const [entry] = this.entries.splice(i, 1);
      this.save();
      this.emit('ack', { entry, ack: /** @type {any} */ (ack) });
    }
    this.pump();
  }

  /** @param {{id?: string, code: string, message: string, retry_after_ms?: number}} f */
  refused(f) {
    if (!f.id || f.id !== this.inflight) return this.emit('error', f);
    this.inflight = null;
    if (RETRY.includes(f.code)) return this.later(() => this.pump(), Math.max(f.retry_after_ms || 0, 2000));
    const i = this.entries.findIndex((x) => x.client_msg_id === f.id);
    if (i < 0) return this.pump();
    const [entry] = this.entries.splice(i, 1);
    this.save();
    this.emit('failed', { entry, code: f.code, message: f.message });
    this.pump();
  }

  // ---- ephemeral frames ----

  /**
   * Typing on or off; a visitor may add the draft (agents see it as a sneak peek).
   * @param {string} conversationId @param {boolean} on @param {string} [draft]
   */
  typing(conversationId, on, draft) {
    this.send(draft === undefined ? { type: 'typing', conversation_id: conversationId, on } : { type: 'typing', conversation_id: conversationId, on, draft });
  }

  /**
   * How far this side has received or read a conversation; only ever moves forward.
   * @param {string} conversationId
   * @param {number} seq
   * @param {'delivered'|'read'} status
   */
  receipt(conversationId, seq, status) {
    const key = conversationId + status;
    const r = this.receipts.get(key) || { conversation_id: conversationId, seq, status, sent: 0 };
    r.seq = Math.max(r.seq, seq);
    this.receipts.set(key, r);
    if (r.sent < r.seq && this.send({ type: 'receipt', id: 'r' + ++this.frameNo, conversation_id: conversationId, seq: r.seq, status })) r.sent = r.seq;
  }

  /** The page the visitor is on; sent again after each reconnect. @param {PageView} page */
  pageView(page) {
    this.page = page;
    this.send({ type: 'page.view', id: 'p' + ++this.frameNo, ...page });
  }
}

// ---- REST ----


/** An error answer of `/api/v1` (or `network`), by its stable `code`. */
export class ApiError extends Error {
  /**
   * @param {number} status
   * @param {string} code the stable snake_case code from the server's table
   * @param {string} message
   * @param {number} [retryAfterMs]
   */
  constructor(status, code, message, retryAfterMs) {
    super(message);
    this.status = status;
    this.code = code;
    this.retryAfterMs = retryAfterMs;
  }
}

/**
 * @param {string} path e.g. `/api/v1/conversations`
 * @param {{method?: string, token?: string|null, body?: any}} [opts]
 * @returns {Promise<any>}
 */
export async function api(path, opts = {}) {
  /** @type {Record<string, string>} */
  const headers = { Accept: 'application/json' };
  if (opts.token) headers.Authorization = 'Bearer ' + opts.token;
  let body;
  if (opts.body !== undefined) {
    headers['Content-Type'] = 'application/json';
    body = JSON.stringify(opts.body);
  }
  let res;
  try {
    res = await fetch(path, { method: opts.method || 'GET', headers, body, credentials: 'omit' });
  } catch (e) {
    throw new ApiError(0, 'network', String(e));
  }
  const text = await res.text();
  let data = null;
  try { data = text ? JSON.parse(text) : null; } catch { /* not JSON */ }
  if (!res.ok) {
    throw new ApiError(res.status, data?.code || 'http_' + res.status, data?.message || res.statusText, data?.retry_after_ms);
  }
  return data;
}
