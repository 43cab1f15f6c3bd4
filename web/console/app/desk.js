// @ts-check
/* What the console knows and how it learns it: the first loads over REST, then every socket
 * event applied to the store incrementally. Views call these methods; none of them reloads
 * everything on an event. */

import { call, optional } from './http.js';

/**
 * @typedef {import('./types.js').Conversation} Conversation
 * @typedef {import('./types.js').Message} Message
 * @typedef {import('./types.js').Contact} Contact
 * @typedef {import('./types.js').Agent} Agent
 * @typedef {import('./store.js').Store} Store
 * @typedef {import('./live.js').ConsoleClient} ConsoleClient
 */

const MAX_SEQ = '9223372036854775807';

/** @param {Message[]} held @param {Message[]} more sorted by seq, no duplicates */
export function mergeMessages(held, more) {
  const bySeq = new Map(held.map((m) => [m.seq, m]));
  let changed = false;
  for (const m of more) {
    if (!bySeq.has(m.seq)) {
      bySeq.set(m.seq, m);
      changed = true;
    }
  }
  return changed ? [...bySeq.values()].sort((a, b) => a.seq - b.seq) : held;
}

export class Desk {
  /** @param {Store} store @param {ConsoleClient} client */
  constructor(store, client) {
    this.store = store;
    this.client = client;
    /** Conversations whose newest page is loaded (their cursor is followed). */
    this.loaded = new Set();
    /** @type {Map<string, Promise<void>>} */
    this.opening = new Map();
    this.welcomes = 0;
    this.wire();
  }

  get me() {
    return /** @type {Agent} */ (this.store.state.me);
  }

  /** Admins and supervisors see every inbox and may take over. */
  get lead() {
    return this.me.role === 'admin' || this.me.role === 'supervisor';
  }

  async boot() {
    const [agents, teams, inboxes, labels, canned, visitors] = await Promise.all([
      optional('/agents', { agents: [this.me] }),
      optional('/teams', { teams: [] }),
      call('/inboxes'),
      optional('/labels', { labels: [] }),
      optional('/canned-responses', { canned_responses: [] }),
      optional('/visitors', { visitors: [] }),
    ]);
    const map = new Map(/** @type {Agent[]} */ (agents.agents).map((a) => [a.id, a]));
    if (!map.has(this.me.id)) map.set(this.me.id, this.me);
    this.store.set({
      agents: map,
      teams: teams.teams,
      inboxes: Array.isArray(inboxes) ? inboxes : inboxes.inboxes || [],
      labels: labels.labels,
      canned: canned.canned_responses,
      visitors: new Map(/** @type {import('./types.js').LiveVisitor[]} */ (visitors.visitors).map((v) => [v.contact_id, v])),
    });
    await Promise.all([this.loadConversations(), this.loadQueue()]);
  }

  /** The whole queue (it may hold conversations older than the pages loaded). */
  async loadQueue() {
    const page = await call('/conversations?sort=queue&limit=200');
    this.mergeConversations(page.conversations, page.contacts || []);
    await this.fetchMissingContacts();
  }

  /** The reference data again (after a reconnect, or a change in settings). */
  async refreshDirectory() {
    const [agents, teams, inboxes, labels, canned] = await Promise.all([
      optional('/agents', null), optional('/teams', null), call('/inboxes'), optional('/labels', null), optional('/canned-responses', null),
    ]);
    /** @type {Partial<import('./types.js').State>} */
    const patch = { inboxes: Array.isArray(inboxes) ? inboxes : inboxes.inboxes || [] };
    if (agents) patch.agents = new Map(/** @type {Agent[]} */ (agents.agents).map((a) => [a.id, a]));
    if (teams) patch.teams = teams.teams;
    if (labels) patch.labels = labels.labels;
    if (canned) patch.canned = canned.canned_responses;
    this.store.set(patch);
  }

  /**
   * Loads conversations (newest activity first) and merges them; pages through up to `max`.
   * @param {Record<string, string>} [query]
   */
  async loadConversations(query = {}, max = 600) {
    let before = '';
    for (let n = 0; n < max;) {
      const q = new URLSearchParams({ ...query, limit: '200' });
      if (before) q.set('before', before);
      const page = await call('/conversations?' + q);
      this.mergeConversations(page.conversations, page.contacts || []);
      n += page.conversations.length;
      if (!page.next_before) break;
      before = String(page.next_before);
    }
    await this.fetchMissingContacts();
    this.previews().catch(() => {});
  }

  /** The last few messages of the newest conversations not held yet, for the list's previews. */
  async previews(max = 40) {
    const s = this.store.state;
    const want = [...s.conversations.values()].filter((c) => c.status !== 'resolved' && c.last_seq > 0 && !s.messages.get(c.id)?.length)
      .sort((a, b) => (b.last_message_at || b.updated_at) - (a.last_message_at || a.updated_at)).slice(0, max).map((c) => c.id);
    const work = async () => {
      for (let id = want.shift(); id; id = want.shift()) {
        const page = await call(`/conversations/${encodeURIComponent(id)}/messages?before_seq=${MAX_SEQ}&limit=3`).catch(() => null);
        if (page) this.store.put('messages', id, mergeMessages(this.store.state.messages.get(id) || [], page.messages));
      }
    };
    await Promise.all([work(), work(), work()]);
  }

  /**
   * @param {Conversation[]} list @param {Contact[]} contacts
   * @param {boolean} [live] a socket event or the answer to a change made here (not a page
   *   loaded): the change moves the assignees' load
   */
  mergeConversations(list, contacts, live = false) {
    const convs = new Map(this.store.state.conversations);
    /** @type {Map<string, number>} */
    const load = new Map();
    /** @param {Conversation|undefined} c @param {number} d */
    const count = (c, d) => { if (c?.assignee_id && c.status === 'open') load.set(c.assignee_id, (load.get(c.assignee_id) || 0) + d); };
    for (const c of list) {
      const old = convs.get(c.id);
      // Keep what live events taught us if a page is older. A live event is the news itself,
      // even when a message seen just before it (its timeline event) moved updated_at further.
      const next = old && !live && old.updated_at > c.updated_at ? { ...c, ...old }
        : { ...old, ...c, last_seq: Math.max(c.last_seq, old?.last_seq || 0), updated_at: Math.max(c.updated_at, old?.updated_at || 0) };
      convs.set(c.id, next);
      if (live) { count(old, -1); count(next, 1); }
    }
    const people = new Map(this.store.state.contacts);
    for (const p of contacts) people.set(p.id, p);
    this.store.set({ conversations: convs, contacts: people });
    this.adjustLoad(load);
  }

  /**
   * Open conversations per agent move with assignments and resolutions; the directory's
   * `open_count` is followed here between its loads.
   * @param {Map<string, number>} delta
   */
  adjustLoad(delta) {
    const agents = this.store.state.agents;
    let next = null;
    for (const [id, d] of delta) {
      const a = agents.get(id);
      if (!d || !a || a.open_count == null) continue;
      next ||= new Map(agents);
      next.set(id, { ...a, open_count: Math.max(0, a.open_count + d) });
    }
    if (next) this.store.set({ agents: next });
  }

  /** Contacts of listed conversations the list response did not carry. */
  async fetchMissingContacts() {
    const want = new Set();
    for (const c of this.store.state.conversations.values()) if (!this.store.state.contacts.has(c.contact_id)) want.add(c.contact_id);
    await Promise.all([...want].slice(0, 50).map((id) => this.contactDetail(id).catch(() => null)));
  }

  /** @param {string} id @returns {Promise<import('./types.js').ContactDetail>} */
  async contactDetail(id) {
    const d = await call('/contacts/' + encodeURIComponent(id));
    if (d.conversations?.length) this.mergeConversations(d.conversations, []);
    this.store.put('contacts', id, d.contact);
    return d;
  }

  /**
   * The conversation and its newest messages; afterwards the socket keeps it complete.
   * @param {string} id
   */
  open(id) {
    let p = this.opening.get(id);
    if (!p) {
      p = this.load(id);
      this.opening.set(id, p);
      p.catch(() => this.opening.delete(id));
    }
    return p;
  }

  /** @param {string} id */
  async load(id) {
    const conv = await call('/conversations/' + encodeURIComponent(id));
    this.mergeConversations([conv], []);
    const page = await call(`/conversations/${encodeURIComponent(id)}/messages?before_seq=${MAX_SEQ}&limit=50`);
    const held = mergeMessages(this.store.state.messages.get(id) || [], page.messages);
    this.store.put('messages', id, held);
    this.store.put('hasEarlier', id, page.has_more);
    this.loaded.add(id);
    const top = held.length ? held[held.length - 1].seq : 0;
    // From here the cursor follows it: whatever came after the page is replayed.
    this.client.watch(id, Math.max(top, page.last_seq));
    if (!this.store.state.contacts.has(conv.contact_id)) this.contactDetail(conv.contact_id).catch(() => {});
  }

  /** Older messages (infinite scroll back). @param {string} id */
  async earlier(id) {
    const held = this.store.state.messages.get(id) || [];
    if (!held.length || !this.store.state.hasEarlier.get(id)) return 0;
    const page = await call(`/conversations/${encodeURIComponent(id)}/messages?before_seq=${held[0].seq}&limit=50`);
    this.store.put('messages', id, mergeMessages(this.store.state.messages.get(id) || [], page.messages));
    this.store.put('hasEarlier', id, page.has_more);
    return page.messages.length;
  }

  /**
   * @param {string} id
   * @param {string} body
   * @param {{kind?: 'text'|'note', mentions?: string[], attachment?: import('../../shared/protocol.js').AttachmentMeta}} [opt]
   */
  send(id, body, opt = {}) {
    /** @type {any} */
    const extra = { kind: opt.kind || 'text' };
    if (opt.mentions?.length) extra.mentions = opt.mentions;
    if (opt.attachment) Object.assign(extra, { attachment_id: opt.attachment.id, attachment: opt.attachment });
    this.client.enqueue(id, body, extra);
    this.store.emit('sent', { conversation_id: id });
  }

  /** @param {string} id @param {Record<string, any>} body */
  async patch(id, body) {
    const c = await call('/conversations/' + encodeURIComponent(id), { method: 'PATCH', body });
    this.mergeConversations([c], [], true);
    return c;
  }

  /** @param {string} id @param {{agent_id?: string, team_id?: string, note?: string}} body */
  async transfer(id, body) {
    const c = await call(`/conversations/${encodeURIComponent(id)}/transfer`, { method: 'POST', body });
    this.mergeConversations([c], [], true);
    return c;
  }

  /** Proactive chat: a conversation for a live visitor, assigned to me, with a first message. @param {import('./types.js').LiveVisitor} v @param {string} text */
  async startChat(v, text) {
    const c = await call('/conversations', { method: 'POST', body: { inbox_id: v.inbox_id, contact_id: v.contact_id, assignee_id: this.me.id } });
    this.mergeConversations([c], [], true);
    this.store.put('visitors', v.contact_id, { ...v, conversation_id: c.id });
    await this.open(c.id);
    this.send(c.id, text);
    return c;
  }

  // ---- live events ----

  wire() {
    const { client, store } = this;
    client.on('status', ({ state }) => store.set({ conn: state }));
    client.on('outbox', ({ entries }) => store.set({ pending: entries }));
    client.on('welcome', () => {
      // After a reconnect: what changed while away (lists, directory, visitors).
      if (this.welcomes++ === 0) return;
      this.loadConversations().catch(() => {});
      this.loadQueue().catch(() => {});
      this.refreshDirectory().catch(() => {});
      optional('/visitors', null).then((v) => v && store.set({ visitors: new Map(/** @type {any[]} */ (v.visitors).map((x) => [x.contact_id, x])) }), () => {});
      for (const id of this.loaded) if (!client.convs.has(id)) client.watch(id, 0);
    });
    client.on('message', ({ message }) => this.applyMessage(message));
    client.on('ack', ({ entry, ack }) => {
      const e = /** @type {any} */ (entry);
      /** @type {Message} */
      const m = {
        id: ack.message_id, conversation_id: ack.conversation_id, seq: ack.seq, client_msg_id: entry.client_msg_id,
        author: { kind: 'agent', id: this.me.id, name: this.me.name }, kind: e.kind || 'text', body: entry.body,
        created_at: entry.created_at, attachment: entry.attachment,
      };
      this.applyMessage(m);
    });
    client.on('failed', ({ message }) => store.set({ toast: 'Not sent: ' + message }));
    client.on('conversation', ({ conversation }) => {
      const c = /** @type {Conversation} */ (/** @type {unknown} */ (conversation));
      const isNew = !store.state.conversations.has(c.id);
      this.mergeConversations([c], [], true);
      if (!store.state.contacts.has(c.contact_id)) this.contactDetail(c.contact_id).catch(() => {});
      if (isNew) store.emit('conversation.new', c);
    });
    client.on('typing', (f) => {
      const t = /** @type {any} */ (f);
      if (t.author.kind === 'agent' && t.author.id === this.me.id) return;
      const key = t.conversation_id + ':' + (t.author.id || t.author.kind);
      store.put('typing', key, t.on ? { author: t.author, draft: typeof t.draft === 'string' ? t.draft : null, until: Date.now() + 6000 } : null);
    });
    client.on('receipt', (r) => {
      const c = store.state.conversations.get(r.conversation_id);
      if (!c) return;
      const rec = { ...c.receipts };
      const k = /** @type {keyof import('./types.js').Receipts} */ (r.side + '_' + r.status);
      if (rec[k] >= r.seq) return;
      rec[k] = r.seq;
      store.put('conversations', c.id, { ...c, receipts: rec });
    });
    client.onFrame((f) => this.applyFrame(f));
  }

  /** @param {Message} m */
  applyMessage(m) {
    const { store } = this;
    const held = store.state.messages.get(m.conversation_id);
    const known = held?.some((x) => x.seq === m.seq);
    store.put('messages', m.conversation_id, mergeMessages(held || [], [m]));
    if (known) return;
    const c = store.state.conversations.get(m.conversation_id);
    if (c) {
      /** @type {Conversation} */
      const next = { ...c, last_seq: Math.max(c.last_seq, m.seq), updated_at: Math.max(c.updated_at, m.created_at) };
      if (m.kind !== 'note' && m.author.kind !== 'system') next.last_message_at = Math.max(c.last_message_at || 0, m.created_at);
      if (m.author.kind === 'contact' && !c.waiting_since) next.waiting_since = m.created_at;
      if (m.author.kind === 'agent' && m.kind === 'text') next.waiting_since = null;
      store.put('conversations', c.id, next);
    } else {
      // A conversation not listed yet (e.g. created while this socket was away).
      call('/conversations/' + encodeURIComponent(m.conversation_id)).then((x) => {
        this.mergeConversations([x], []);
        if (!store.state.contacts.has(x.contact_id)) this.contactDetail(x.contact_id).catch(() => {});
      }, () => {});
    }
    if (m.author.kind === 'contact') {
      this.client.receipt(m.conversation_id, m.seq, 'delivered');
      // The visitor sent what they were typing.
      for (const k of store.state.typing.keys()) if (k.startsWith(m.conversation_id + ':') && store.state.typing.get(k)?.author.kind === 'contact') store.put('typing', k, null);
    }
    store.emit('message', { message: m });
  }

  /** @param {any} f */
  applyFrame(f) {
    const { store } = this;
    if (f.type === 'agent.updated') {
      const a = /** @type {Agent} */ (f.agent);
      store.put('agents', a.id, { ...store.state.agents.get(a.id), ...a });
      if (a.id === this.me.id) store.set({ me: { ...this.me, ...a } });
    } else if (f.type === 'notification') {
      store.emit('notice', f.notification);
    } else if (f.type === 'visitor.online') {
      store.put('visitors', f.visitor.contact_id, f.visitor);
    } else if (f.type === 'visitor.offline') {
      store.put('visitors', f.contact_id, null);
    } else if (f.type === 'contact.page_view') {
      const v = store.state.visitors.get(f.page.contact_id);
      if (v) store.put('visitors', v.contact_id, { ...v, page: f.page });
      store.emit('page_view', f.page);
    } else if (f.type === 'contact.updated') {
      store.put('contacts', f.contact.id, f.contact);
      const v = store.state.visitors.get(f.contact.id);
      if (v) store.put('visitors', v.contact_id, { ...v, name: f.contact.name, email: f.contact.email, verified: f.contact.verified });
    }
  }
}
