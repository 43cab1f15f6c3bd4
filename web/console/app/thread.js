// @ts-check
/* The history of one conversation by seq, plus messages waiting for their ack. Items are kept
 * by seq and only new ones added; scrolling to the top loads older pages. */

import { format, h, clock } from './util.js';

/** @typedef {import('./types.js').Message} Message @typedef {import('./store.js').Store} Store */

/** @type {Map<string, Promise<string>>} */
const blobs = new Map();
/** @param {string} id */
function blobUrl(id) {
  let p = blobs.get(id);
  if (!p) {
    p = fetch('/api/v1/attachments/' + encodeURIComponent(id), { credentials: 'same-origin' }).then(async (r) => {
      if (!r.ok) throw new Error('HTTP ' + r.status);
      return URL.createObjectURL(await r.blob());
    });
    p.catch(() => blobs.delete(id));
    blobs.set(id, p);
  }
  return p;
}

/** @param {import('../../shared/protocol.js').AttachmentMeta} a */
function attachment(a) {
  const box = h('div', { class: 'c-attachment' });
  if (/^image\/(png|jpeg|gif|webp)$/.test(a.content_type)) {
    const img = h('img', { alt: a.name, class: 'c-thumb' });
    blobUrl(a.id).then((u) => { img.src = u; }, () => { img.alt = a.name + ' (could not load)'; });
    box.append(img);
  }
  const link = h('a', { href: '#', text: '📎 ' + a.name + ' (' + Math.max(1, Math.round(a.size / 1024)) + ' KB)' });
  link.addEventListener('click', async (e) => {
    e.preventDefault();
    const u = await blobUrl(a.id);
    const x = h('a', { href: u, download: a.name });
    x.click();
  });
  box.append(link);
  return box;
}

/** @param {Message} m @param {import('./types.js').State} s */
function item(m, s) {
  if (m.kind === 'event' || (m.kind === 'note' && m.author.kind === 'system') || m.author.kind === 'system') {
    return h('li', { class: 'c-event', 'data-seq': String(m.seq) }, h('span', { class: 'c-body', text: m.body }), h('time', { text: clock(m.created_at) }));
  }
  const own = m.author.kind === 'agent' || m.author.kind === 'bot';
  const cls = m.kind === 'note' ? 'c-msg c-note' : own ? 'c-msg c-ours' : 'c-msg c-them';
  const who = m.author.kind === 'contact' ? 'Visitor' : m.author.name || (m.author.id && s.agents.get(m.author.id)?.name) || 'Agent';
  return h('li', { class: cls, 'data-seq': String(m.seq), 'data-kind': m.kind, 'data-author': m.author.kind },
    h('div', { class: 'c-bubble' },
      h('div', { class: 'c-who' }, h('span', { class: 'c-author', text: m.kind === 'note' ? who + ' · private note' : who }), h('time', { text: clock(m.created_at) })),
      m.body ? h('div', { class: 'c-body' }, format(m.body)) : null,
      m.attachment ? attachment(m.attachment) : null,
      own && m.kind === 'text' ? h('span', { class: 'c-status' }) : null));
}

/**
 * @param {Store} store @param {import('./desk.js').Desk} desk @param {string} id
 */
export function thread(store, desk, id) {
  const ul = h('ol', { class: 'c-thread', id: 'thread', role: 'log', 'aria-label': 'Messages' });
  const top = h('div', { class: 'c-earlier', hidden: true, text: 'Loading earlier messages…' });
  const scroller = h('div', { class: 'c-scroll' }, top, ul);
  /** @type {Map<number, HTMLLIElement>} */
  const items = new Map();
  /** @type {Map<string, HTMLLIElement>} */
  const pend = new Map();
  let loadingEarlier = false;

  const atBottom = () => scroller.scrollHeight - scroller.scrollTop - scroller.clientHeight < 80;
  const render = () => {
    const s = store.state;
    const held = s.messages.get(id) || [];
    const stick = atBottom() || items.size === 0;
    const oldHeight = scroller.scrollHeight;
    const oldTop = scroller.scrollTop;
    let prepended = false;
    let prev = null;
    for (const m of held) {
      let li = items.get(m.seq);
      if (!li) {
        li = item(m, s);
        items.set(m.seq, li);
        if (prev) prev.after(li);
        else { ul.prepend(li); prepended = items.size > 1; }
        // An acked message replaces its pending item.
        if (m.client_msg_id && pend.has(m.client_msg_id)) {
          pend.get(m.client_msg_id)?.remove();
          pend.delete(m.client_msg_id);
        }
      }
      prev = li;
    }
    const waiting = s.pending.filter((e) => e.conversation_id === id);
    const keep = new Set(waiting.map((e) => e.client_msg_id));
    for (const [k, li] of pend) if (!keep.has(k)) { li.remove(); pend.delete(k); }
    for (const e of waiting) {
      if (pend.has(e.client_msg_id)) continue;
      const x = /** @type {any} */ (e);
      const li = item({ id: '', conversation_id: id, seq: 0, author: { kind: 'agent', id: s.me?.id, name: s.me?.name }, kind: x.kind || 'text', body: e.body, created_at: e.created_at, attachment: e.attachment }, s);
      li.classList.add('c-pending');
      li.removeAttribute('data-seq');
      const st = li.querySelector('.c-status');
      if (st) st.textContent = 'Sending…';
      pend.set(e.client_msg_id, li);
      ul.append(li);
    }
    statuses();
    if (prepended && !stick) scroller.scrollTop = oldTop + (scroller.scrollHeight - oldHeight);
    else if (stick) scroller.scrollTop = scroller.scrollHeight;
    top.hidden = !s.hasEarlier.get(id);
  };
  const statuses = () => {
    const c = store.state.conversations.get(id);
    if (!c) return;
    for (const [seq, li] of items) {
      const st = li.querySelector('.c-status');
      if (!st) continue;
      const t = c.receipts.contact_read >= seq ? 'Read' : c.receipts.contact_delivered >= seq ? 'Delivered' : 'Sent';
      if (st.textContent !== t) st.textContent = t;
    }
  };
  scroller.addEventListener('scroll', async () => {
    if (scroller.scrollTop > 60 || loadingEarlier || !store.state.hasEarlier.get(id)) return;
    loadingEarlier = true;
    try { await desk.earlier(id); } catch { /* try again on the next scroll */ } finally { loadingEarlier = false; }
  });
  const offs = [store.watch(['messages', 'pending', 'hasEarlier'], render), store.watch(['conversations'], statuses)];
  return { el: scroller, unmount: () => offs.forEach((f) => f()), scrollDown: () => { scroller.scrollTop = scroller.scrollHeight; } };
}
