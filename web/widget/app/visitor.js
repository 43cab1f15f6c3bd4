// @ts-check
/* The visitor's side of the widget: the session (token kept in this origin's storage), the
 * protocol client, and which conversation is shown. Views reach it only through actions. */

import { api, backoff, Client } from '../../shared/client.js';
import { t } from './i18n.js';
import { get, put, storage } from './store.js';

/**
 * @typedef {import('./types.js').Message} Message
 * @typedef {import('./types.js').Conversation} Conversation
 */

export const sleep = (/** @type {number} */ ms) => new Promise((r) => setTimeout(r, ms));

export class Visitor {
  /**
   * @param {string} inbox
   * @param {string} host the host page's origin, checked by the server against the inbox
   */
  constructor(inbox, host) {
    this.inbox = inbox;
    this.host = host;
    this.key = (/** @type {string} */ name) => 'livedesk.' + name + '.' + inbox;
    this.token = get(this.key('visitor'));
    /** @type {Promise<string>|null} */
    this.sessionP = null;
    /** @type {Promise<void>|null} */
    this.startP = null;
    /** @type {Promise<string>|null} */
    this.creating = null;
    this.loaded = false;
    /** @type {Promise<unknown>} */
    this.chain = Promise.resolve();
    /** What the host page said about the visitor, applied by profile.js. */
    this.said = { jwt: /** @type {string|null} */ (null), profile: /** @type {Record<string, any>} */ ({}), attributes: /** @type {Record<string, any>} */ ({}) };
    /** @type {import('./store.js').Store} */
    this.store = /** @type {any} */ (null);
    this.client = new Client({
      url: (location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + '/ws/v1?inbox=' + encodeURIComponent(inbox),
      token: () => this.session(),
      fetchAfter: (id, after) => this.call(`/conversations/${id}/messages?after_seq=${after}&limit=100`),
      storage,
      outboxKey: this.key('outbox'),
    });
  }

  /** The visitor token, creating or continuing the session first. */
  session() {
    return (this.sessionP ||= (async () => {
      for (let n = 0; ; n++) {
        try {
          /** @type {import('./types.js').WidgetSession} */
          const s = await api('/api/v1/widget/sessions', { method: 'POST', body: { inbox_id: this.inbox, visitor_token: this.token || undefined, host_origin: this.host || undefined } });
          this.setToken(s.visitor_token);
          return s.visitor_token;
        } catch (e) {
          const err = /** @type {import('../../shared/client.js').ApiError} */ (e);
          if (err.code === 'origin_not_allowed' || err.status === 404) {
            this.store.set({ fatal: t('unavailable') });
            this.client.stop();
            throw err;
          }
          await sleep(Math.max(backoff(n), err.retryAfterMs || 0));
        }
      }
    })());
  }

  /**
   * A visitor call to `/api/v1` + `path`.
   * @param {string} path
   * @param {string} [method]
   * @param {any} [body]
   */
  async call(path, method, body) {
    return api('/api/v1' + path, { method, body, token: await this.session() });
  }

  /** @param {string|null} token */
  setToken(token) {
    this.token = token;
    put(this.key('visitor'), token);
    this.sessionP = token ? Promise.resolve(token) : null;
  }

  /** Runs steps that change who the visitor is or what is shown one after another. @param {() => Promise<void>} fn */
  serial(fn) {
    return (this.chain = this.chain.then(fn).catch((e) => console.warn('Livedesk:', e)));
  }

  /** Session, what the host said, the current conversation, then the socket. */
  start() {
    return (this.startP ||= this.serial(async () => {
      await this.session();
      await this.applyProfile();
      await this.load().catch(() => {});
      this.client.start();
    }));
  }

  async applyProfile() {
    const s = this.said;
    if (s.jwt || Object.keys(s.profile).length || Object.keys(s.attributes).length) {
      await (await import('./profile.js')).applyProfile(this);
    }
  }

  /** Loads the newest conversation and its latest messages. */
  async load() {
    /** @type {{conversations: Conversation[]}} */
    const { conversations } = await this.call('/conversations');
    const conv = conversations[0] || null;
    /** @type {import('./types.js').MessagePage|null} */
    const page = conv && (await this.call(`/conversations/${conv.id}/messages?before_seq=${conv.last_seq + 1}&limit=50`));
    this.loaded = true;
    this.show(conv, page ? page.messages : [], !!page?.has_more);
  }

  /**
   * Shows `conv` (or none yet) and follows it on the socket.
   * @param {Conversation|null} conv @param {Message[]} messages @param {boolean} more
   */
  show(conv, messages, more) {
    const { store, client } = this;
    store.set({ conversation: conv, messages: [], hasEarlier: more, typing: null, agentRead: 0, agentDelivered: 0 });
    this.merge(messages);
    if (conv) client.watch(conv.id, conv.last_seq);
    this.pending();
    if (conv && conv.status !== 'resolved') client.assign(conv.id);
    else if (client.outbox.some((e) => !e.conversation_id)) this.conversation().catch(() => {});
    store.set({ prechat: store.state.prechat && !conv });
    this.receipts();
  }

  /** Adds messages of the shown conversation, by seq; a message seen before is replaced. @param {Message[]} list */
  merge(list) {
    const { state } = this.store;
    const byId = new Map(state.messages.map((m) => [m.id, m]));
    const before = byId.size;
    for (const m of list) if (m.conversation_id === state.conversation?.id) byId.set(m.id, m);
    if (byId.size !== before) this.store.set({ messages: [...byId.values()].sort((a, b) => a.seq - b.seq) });
  }

  /** Puts the outbox entries that belong on screen in the store. */
  pending() {
    const id = this.store.state.conversation?.id;
    this.store.set({ pending: this.client.outbox.filter((e) => !e.conversation_id || e.conversation_id === id) });
  }

  /** The open conversation's id, creating one when there is none or the last was resolved. */
  conversation() {
    const c = this.store.state.conversation;
    if (c && c.status !== 'resolved') return Promise.resolve(c.id);
    return (this.creating ||= (async () => {
      for (let n = 0; ; n++) {
        try {
          /** @type {Conversation} */
          const conv = await this.call('/conversations', 'POST', {});
          // The socket may have shown it already (conversation.created can come first), with
          // messages since: showing it again would drop them.
          if (this.store.state.conversation?.id !== conv.id) this.show(conv, [], false);
          return conv.id;
        } catch (e) {
          const err = /** @type {import('../../shared/client.js').ApiError} */ (e);
          if (err.status >= 400 && err.status < 500 && err.status !== 429) {
            this.store.set({ error: t('not_sent', { reason: err.message || err.code }) });
            throw err;
          }
          await sleep(Math.max(backoff(n), err.retryAfterMs || 0));
        }
      }
    })().finally(() => { this.creating = null; }));
  }

  /** The unread count for the badge; delivered and read receipts for the agents. */
  receipts() {
    const { store, client } = this;
    const s = store.state;
    const conv = s.conversation;
    if (!conv) return store.set({ unread: 0 });
    const theirs = s.messages.filter((m) => m.author.kind !== 'contact');
    const top = s.messages.at(-1)?.seq || 0;
    const readKey = this.key('read') + '.' + conv.id;
    if (theirs.length) client.receipt(conv.id, /** @type {Message} */ (theirs.at(-1)).seq, 'delivered');
    if (s.open && s.visible && top) {
      put(readKey, String(top));
      client.receipt(conv.id, top, 'read');
      store.set({ unread: 0 });
    } else {
      const read = Number(get(readKey) || 0);
      store.set({ unread: theirs.filter((m) => m.seq > read).length });
    }
  }
}
