// @ts-check
/* The console's socket: the shared protocol client (reconnect, cursors, gap fill, outbox),
 * extended with what agents send and hear beyond the widget: notes with mentions, and the
 * frames the shared client does not know (directory, presence, visitors, notifications). */

import { Client } from '../../shared/client.js';
import { call } from './http.js';

/** Frames the shared client leaves alone; the console takes them from `extra`. */
const EXTRA = new Set(['agent.updated', 'notification', 'visitor.online', 'visitor.offline', 'contact.page_view', 'contact.updated']);

export class ConsoleClient extends Client {
  /** @param {import('../../shared/protocol.js').ClientOptions} opts */
  constructor(opts) {
    super(opts);
    /** @type {((frame: any) => void)[]} */
    this.extra = [];
  }

  /** @param {(frame: any) => void} fn */
  onFrame(fn) {
    this.extra.push(fn);
  }

  /** @param {any} f */
  frame(f) {
    super.frame(f);
    if (EXTRA.has(f.type)) for (const fn of this.extra) {
      try { fn(f); } catch (e) { console.error(e); }
    }
  }

  /** As the shared pump, plus `kind` and `mentions` from the entry. */
  pump() {
    const self = /** @type {any} */ (this);
    const e = /** @type {any} */ (this.entries.find((x) => x.conversation_id));
    if (!this.connected || self.inflight || !e) return;
    self.inflight = e.client_msg_id;
    const { conversation_id, client_msg_id, body, attachment_id, kind, mentions } = e;
    this.send({
      type: 'message.send', id: client_msg_id, conversation_id, client_msg_id, body,
      ...(attachment_id ? { attachment_id } : {}),
      ...(kind === 'note' ? { kind } : {}),
      ...(kind === 'note' && mentions?.length ? { mentions } : {}),
    });
    const ws = this.ws;
    this.later(() => self.inflight === client_msg_id && this.ws === ws && ws?.close(), 15000);
  }
}

/** @param {string} agentId */
export function makeClient(agentId) {
  const proto = location.protocol === 'https:' ? 'wss:' : 'ws:';
  return new ConsoleClient({
    url: `${proto}//${location.host}/ws/v1`,
    // The session cookie travels with the handshake: no token in hello.
    token: () => /** @type {any} */ (undefined),
    fetchAfter: (id, after) => call(`/conversations/${encodeURIComponent(id)}/messages?after_seq=${after}&limit=500`),
    storage: localStorage,
    outboxKey: 'livedesk.console.outbox.' + agentId,
  });
}
