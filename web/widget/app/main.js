// @ts-check
/* The widget app's entry: loads the inbox's settings, builds the panel, and connects the
 * protocol client's events, the views' actions and the host page's commands.
 *
 * A visitor session is made only when needed — the visitor opens the widget or the host page
 * identifies them — unless this browser already has a visitor token for the inbox. */

import { api } from '../../shared/client.js';
import { focusFirst, mount } from './app.js';
import { Bridge, hostOrigin } from './bridge.js';
import { setLocale, t } from './i18n.js';
import { get, put, Store } from './store.js';
import { contrastText, safeColor } from './dom.js';
import { sleep, Visitor } from './visitor.js';

const params = new URLSearchParams(location.search);
const inbox = params.get('inbox') || '';
const bridge = new Bridge(hostOrigin());
const v = new Visitor(inbox, bridge.origin);
const { client } = v;
const root = /** @type {HTMLElement} */ (document.getElementById('app'));
const sound = () => import('./sound.js');
/** @returns {Promise<import('./types.js').Config>} */
const loadConfig = () => api('/api/v1/widget/config/' + encodeURIComponent(inbox));
const profile = () => import('./profile.js');
/** @type {Map<string, Promise<string>>} */
const blobs = new Map();
/** @type {ReturnType<typeof setTimeout>|undefined} */
let typingOff;
/** @type {ReturnType<typeof setTimeout>|undefined} */
let typingClear;
let typingSent = 0;
let welcomes = 0;

/** @param {unknown} x @param {number} max */
const str = (x, max) => (typeof x === 'string' ? x.slice(0, max) : '');
const open = () => v.store.state.conversation?.status !== 'resolved' && v.store.state.conversation;

/** @param {boolean} on @param {string} [draft] */
function sendTyping(on, draft) {
  const c = open();
  if (c) client.typing(c.id, on, on ? draft : undefined);
}
/** @type {ReturnType<typeof setTimeout>|undefined} */
let draftTimer;
let draft = '';

/** @param {boolean} isOpen */
function setOpen(isOpen) {
  v.store.set({ open: isOpen });
  if (isOpen) {
    v.start();
    focusFirst(root);
  }
  v.receipts();
}

/** @type {import('./types.js').Actions} */
const actions = {
  send(body) {
    const c = open();
    clearTimeout(typingOff);
    if (typingSent) sendTyping(false);
    typingSent = 0;
    clearTimeout(draftTimer);
    draftTimer = undefined;
    client.enqueue(c ? c.id : '', body);
    if (!c) v.conversation().catch(() => {});
    v.start();
  },
  async attach(file) {
    (await import('./upload.js')).attach(v, file);
  },
  typing(text) {
    // The draft goes out at most every 700 ms (the last one always), so agents see it live.
    draft = text;
    clearTimeout(typingOff);
    if (!text.trim()) {
      clearTimeout(draftTimer);
      draftTimer = undefined;
      if (typingSent) sendTyping(false);
      typingSent = 0;
      return;
    }
    if (!draftTimer) {
      draftTimer = setTimeout(() => {
        draftTimer = undefined;
        typingSent = Date.now();
        sendTyping(true, draft);
      }, Math.max(0, 700 - (Date.now() - typingSent)));
    }
    typingOff = setTimeout(() => {
      typingSent = 0;
      sendTyping(false);
    }, 4000);
  },
  close() {
    setOpen(false);
    bridge.post('open', { open: false });
  },
  toggleMute() {
    const muted = !v.store.state.muted;
    put(v.key('muted'), muted ? '1' : null);
    v.store.set({ muted });
  },
  newConversation() {
    v.show(null, [], false);
    v.store.set({ prechat: needsPrechat() });
    focusFirst(root);
  },
  async loadEarlier() {
    const { conversation, messages } = v.store.state;
    if (!conversation || !messages[0]) return;
    /** @type {import('./types.js').MessagePage} */
    const page = await v.call(`/conversations/${conversation.id}/messages?before_seq=${messages[0].seq}&limit=50`);
    v.merge(page.messages);
    v.store.set({ hasEarlier: page.has_more });
  },
  async submitPrechat(values) {
    await (await profile()).submitPrechat(v, values);
    focusFirst(root);
  },
  async saveEmail(email) {
    await (await profile()).saveEmail(v, email);
  },
  attachmentUrl(meta) {
    let p = blobs.get(meta.id);
    if (!p) {
      p = v.session()
        .then((tok) => fetch('/api/v1/attachments/' + encodeURIComponent(meta.id), { headers: { Authorization: 'Bearer ' + tok } }))
        .then(async (res) => {
          if (!res.ok) throw new Error('HTTP ' + res.status);
          return URL.createObjectURL(await res.blob());
        });
      p.catch(() => blobs.delete(meta.id));
      blobs.set(meta.id, p);
    }
    return p;
  },
  dismissError() {
    v.store.set({ error: null });
    focusFirst(root);
  },
};

function needsPrechat() {
  return v.store.state.config.prechat_fields.length > 0 && !get(v.key('prechat'));
}

client.on('status', ({ state }) => {
  v.store.set({ conn: state });
  if (state !== 'unauthorized') return;
  // The token expired or was revoked: continue as a new visitor.
  v.setToken(null);
  client.reset();
  v.serial(async () => {
    await v.load().catch(() => {});
    client.reconnect();
  });
});
client.on('outbox', () => v.pending());
client.on('welcome', () => {
  if (!welcomes++) return;
  loadConfig().then((c) => v.store.set({ config: { ...c, color: safeColor(c.color) } }), () => {});
  if (!v.loaded) v.serial(() => v.load());
});
/** Tells the host page about a message that just arrived (once per id; never its text). */
const told = new Set();
/** @param {{id: string, author: {kind: string}}} m */
const tell = (m) => {
  if (!told.has(m.id)) bridge.post('message', { id: m.id, author: m.author.kind });
  told.add(m.id);
};
client.on('message', ({ message: m }) => {
  const s = v.store.state;
  const fresh = m.conversation_id === s.conversation?.id && !s.messages.some((x) => x.id === m.id);
  v.merge([m]);
  if (!fresh) return;
  tell(m);
  if (m.author.kind !== 'contact') {
    // An agent answered: the wait is over.
    v.store.set({ typing: null, queue: m.author.kind === 'agent' && s.queue?.conversation_id === m.conversation_id ? null : s.queue });
    if (!s.muted && (!s.open || !s.visible)) sound().then((x) => x.chime());
  }
  v.receipts();
});
client.on('ack', ({ entry, ack }) => {
  const m = { id: ack.message_id, conversation_id: ack.conversation_id, seq: ack.seq, client_msg_id: entry.client_msg_id, author: { kind: /** @type {const} */ ('contact') }, kind: /** @type {const} */ ('text'), body: entry.body, created_at: entry.created_at, attachment: entry.attachment };
  v.merge([m]);
  tell(m);
});
client.on('failed', ({ message }) => v.store.set({ error: t('not_sent', { reason: message }) }));
client.on('typing', ({ conversation_id, author, on }) => {
  if (conversation_id !== v.store.state.conversation?.id || author.kind === 'contact') return;
  clearTimeout(typingClear);
  v.store.set({ typing: on ? author.name || t('support') : null });
  if (on) typingClear = setTimeout(() => v.store.set({ typing: null }), 8000);
});
// Routing's place in line (position 0: an agent has it).
client.on('queue', (q) => v.store?.set({ queue: q.position > 0 ? q : null }));
client.on('receipt', (r) => {
  const s = v.store.state;
  if (r.side !== 'agent' || r.conversation_id !== s.conversation?.id) return;
  v.store.set({
    agentDelivered: Math.max(s.agentDelivered, r.seq),
    agentRead: r.status === 'read' ? Math.max(s.agentRead, r.seq) : s.agentRead,
  });
});
client.on('conversation', ({ conversation: c }) => {
  const cur = v.store.state.conversation;
  if (cur && c.id === cur.id) {
    v.store.set({ conversation: { ...cur, ...c }, typing: c.status === 'resolved' ? null : v.store.state.typing });
  } else if (v.loaded && !open() && c.status !== 'resolved') {
    // An agent started a conversation with this visitor.
    v.show({ ...c, last_seq: 0 }, [], false);
  }
});

bridge.on('state', (d) => setOpen(!!d?.open));
bridge.on('page', (d) => client.pageView({ url: str(d?.url, 2000), title: str(d?.title, 500), referrer: str(d?.referrer, 2000), timezone: Intl.DateTimeFormat().resolvedOptions().timeZone }));
bridge.on('identify', (d) => {
  if (!d || typeof d !== 'object') return;
  if (typeof d.token === 'string' && d.token) v.said.jwt = d.token;
  else {
    if (str(d.name, 200)) v.said.profile.name = str(d.name, 200);
    if (str(d.email, 320)) v.said.profile.email = str(d.email, 320);
  }
  if (v.said.jwt) v.start().then(() => v.serial(() => v.applyProfile()));
  else if (v.token) v.serial(() => v.applyProfile());
});
bridge.on('setAttributes', (d) => {
  if (!d || typeof d !== 'object') return;
  for (const [k, x] of Object.entries(d)) {
    if (/^[\w.-]{1,64}$/.test(k) && (x === null || ['string', 'number', 'boolean'].includes(typeof x))) {
      v.said.attributes[k] = typeof x === 'string' ? x.slice(0, 1000) : x;
    }
  }
  if (v.token) v.serial(() => v.applyProfile());
});

document.addEventListener('visibilitychange', () => {
  if (!v.store) return;
  v.store.set({ visible: document.visibilityState === 'visible' });
  v.receipts();
});
for (const type of ['pointerdown', 'keydown']) addEventListener(type, () => sound().then((x) => x.unlock()), { once: true });

async function boot() {
  // Only ever inside a host page's iframe: opened as a window, it has no one to answer.
  if (parent === window) return;
  const lang = setLocale(params.get('locale'), navigator.languages);
  let config;
  for (let n = 0; !config; n++) {
    try {
      config = await loadConfig();
    } catch (e) {
      if (/** @type {any} */ (e).status === 404 || n > 5) return console.error('Livedesk: no such inbox', inbox);
      await sleep(1000 * 2 ** n);
    }
  }
  await lang;
  config.color = safeColor(config.color);
  v.store = new Store({
    config,
    open: false,
    visible: document.visibilityState === 'visible',
    conn: 'idle',
    conversation: null,
    messages: [],
    hasEarlier: false,
    pending: client.outbox,
    typing: null,
    agentDelivered: 0,
    agentRead: 0,
    prechat: false,
    email: get(v.key('email')),
    error: null,
    upload: null,
    muted: get(v.key('muted')) === '1',
    unread: 0,
    fatal: null,
    queue: null,
  });
  v.store.set({ prechat: needsPrechat() && !v.token });
  mount(root, v.store, actions);
  v.store.watch(['unread'], (s) => bridge.post('unread', { count: s.unread }));
  bridge.post('ready', {
    color: config.color,
    fg: contrastText(config.color),
    position: config.position === 'left' ? 'left' : 'right',
    labels: { title: t('title'), open: t('open'), close: t('close'), unread: t('unread') },
  });
  if (v.token || client.outbox.length) v.start();
}

boot();
