// @ts-check
/* The scrolling middle of the panel: the greeting (or away text), "load earlier", the thread
 * of messages, who is typing, and the way to a new conversation once this one is resolved.
 * All text goes in through textContent or `format`. */

import { format, h, later } from './dom.js';
import { lang, t } from './i18n.js';

/** @typedef {import('./store.js').Store} Store */

/**
 * @typedef {import('./types.js').Message} Message
 * @typedef {import('./types.js').Author} Author
 * @typedef {{body: string, created_at: number, author: Author, kind?: string, attachment?: import('./types.js').AttachmentMeta|null}} Shown
 */

/** @param {Author} author */
function avatar(author) {
  const name = author.name || t('support');
  let src = null;
  try {
    if (author.avatar_url) {
      const url = new URL(author.avatar_url, location.origin);
      if (url.origin === location.origin) src = url.href;
    }
  } catch { /* no avatar */ }
  if (src) return h('img', { class: 'ld-avatar', src, alt: '' });
  return h('span', { class: 'ld-avatar', 'aria-hidden': 'true', text: name.trim().charAt(0).toUpperCase() || '?' });
}

/** @param {number} ms */
function time(ms) {
  const d = new Date(ms);
  return h('time', { dateTime: d.toISOString(), text: d.toLocaleTimeString(lang, { hour: '2-digit', minute: '2-digit' }) });
}

/**
 * @param {Shown} m
 * @param {import('./types.js').Actions} actions
 * @returns {HTMLLIElement}
 */
function messageItem(m, actions) {
  if (m.kind === 'event' || m.author.kind === 'system') {
    return h('li', { class: 'ld-msg ld-event' }, h('span', { class: 'ld-body' }, format(m.body)));
  }
  const own = m.author.kind === 'contact';
  const bubble = h(
    'div',
    { class: 'ld-bubble' },
    own
      ? h('span', { class: 'ld-sr', text: t('you') + ': ' })
      : h('span', { class: 'ld-author', text: (m.author.name || t('support')) + (m.author.kind === 'bot' ? ' 🤖' : '') }),
    m.body && h('div', { class: 'ld-body' }, format(m.body)),
    m.attachment && later(async () => (await import('./attachment.js')).attachment(/** @type {any} */ (m.attachment), actions)),
  );
  return h(
    'li',
    { class: 'ld-msg ' + (own ? 'ld-own' : 'ld-them') },
    own ? null : avatar(m.author),
    h('div', { class: 'ld-col' }, bubble, h('div', { class: 'ld-meta' }, time(m.created_at), own && h('span', { class: 'ld-status' }))),
  );
}

/**
 * @param {Element} li
 * @param {import('./types.js').Status} status
 */
function setStatus(li, status) {
  const el = li.querySelector('.ld-status');
  if (el && el.getAttribute('data-status') !== status) {
    el.setAttribute('data-status', status);
    el.textContent = t(status);
  }
}


/**
 * The message list is an ARIA log: elements are kept and only new ones appended, so a screen
 * reader hears each message once. A pending message's element becomes the stored message's.
 * @param {Store} store @param {import('./types.js').Actions} actions
 */
function thread(store, actions) {
  const list = h('ol', { class: 'ld-thread' });
  /** @type {Map<string, HTMLLIElement>} by message id, or `p:` + client_msg_id while pending */
  const items = new Map();
  /** @type {Map<Element, import('./types.js').Status>} */
  const status = new Map();
  /** @param {HTMLLIElement} el @param {Element|null} prev */
  const place = (el, prev) => {
    const next = prev ? prev.nextElementSibling : list.firstElementChild;
    if (next !== el) list.insertBefore(el, next);
  };
  store.watch(['messages', 'pending', 'agentRead', 'agentDelivered'], (s) => {
    const keep = new Set();
    const echoed = new Set();
    /** @type {HTMLLIElement|null} */
    let prev = null;
    /** @param {string} key @param {() => HTMLLIElement} make @param {import('./types.js').Status|null} st */
    const put = (key, make, st) => {
      const el = items.get(key) || make();
      items.set(key, el);
      if (st) status.set(el, st);
      keep.add(el);
      place(el, prev);
      prev = el;
    };
    for (const m of s.messages) {
      const pendingKey = 'p:' + m.client_msg_id;
      if (m.client_msg_id && !items.has(m.id) && items.has(pendingKey)) {
        items.set(m.id, /** @type {HTMLLIElement} */ (items.get(pendingKey)));
        items.delete(pendingKey);
      }
      if (m.client_msg_id) echoed.add(m.client_msg_id);
      const own = m.author.kind === 'contact';
      put(m.id, () => messageItem(m, actions), own ? (m.seq <= s.agentRead ? 'read' : m.seq <= s.agentDelivered ? 'delivered' : 'sent') : null);
    }
    for (const e of s.pending) {
      if (echoed.has(e.client_msg_id)) continue;
      put('p:' + e.client_msg_id, () => messageItem({ ...e, author: { kind: 'contact' } }, actions), 'sending');
    }
    for (const [key, el] of items) {
      if (!keep.has(el)) {
        el.remove();
        items.delete(key);
        status.delete(el);
      }
    }
    /** @type {Element|null} */
    let lastOwn = null;
    for (const el of keep) {
      const st = status.get(el);
      if (st) {
        setStatus(el, st);
        lastOwn = el;
      }
      el.classList.remove('ld-last');
      el.classList.toggle('ld-pending', st === 'sending');
    }
    lastOwn?.classList.add('ld-last');
  });
  return h('div', { role: 'log', 'aria-live': 'polite', 'aria-label': t('messages') }, list);
}

/** @param {Store} store @param {import('./types.js').Actions} actions */
export function conversation(store, actions) {
  const intro = h('div', { class: 'ld-intro' });
  const earlier = h('button', {
    type: 'button',
    class: 'ld-link',
    text: t('earlier'),
    onclick: async () => {
      const height = scroller.scrollHeight;
      await actions.loadEarlier();
      scroller.scrollTop += scroller.scrollHeight - height;
    },
  });
  const typingText = h('span');
  const typing = h('div', { class: 'ld-typing' }, h('span', { class: 'ld-dots', 'aria-hidden': 'true' }, h('i'), h('i'), h('i')), typingText);
  // A polite live region, always in the page (empty when not waiting), so changes are announced.
  const queue = h('p', { class: 'ld-queue', role: 'status', 'aria-live': 'polite' });
  const ended = h(
    'div',
    { class: 'ld-ended' },
    h('p', { text: t('ended') }),
    h('button', { type: 'button', class: 'ld-btn', text: t('new_conversation'), onclick: actions.newConversation }),
  );
  const scroller = h('div', { class: 'ld-scroll' }, intro, earlier, thread(store, actions), typing, queue, ended);
  let stick = true;
  scroller.addEventListener('scroll', () => {
    stick = scroller.scrollHeight - scroller.scrollTop - scroller.clientHeight < 60;
  });
  store.watch(['config'], ({ config: c }) => {
    intro.replaceChildren(format(c.agents_online ? c.greeting || t('greeting') : c.away_message || t('away_text')));
  });
  store.watch(['hasEarlier', 'typing', 'conversation'], (s) => {
    earlier.hidden = !s.hasEarlier;
    typing.hidden = !s.typing;
    typingText.textContent = s.typing ? t('typing', { name: s.typing }) : '';
    ended.hidden = s.conversation?.status !== 'resolved';
  });
  store.watch(['queue', 'conversation'], ({ queue: q, conversation: c }) => {
    const wait = q?.estimated_wait_ms;
    queue.textContent = q && c && q.conversation_id === c.id && c.status === 'open'
      ? (q.position > 1 ? t('queue_place', { n: q.position }) : t('queue_next')) + (wait ? ' · ' + t('queue_wait', { min: Math.max(1, Math.round(wait / 60000)) }) : '')
      : '';
  });
  store.watch(['messages', 'pending', 'typing', 'queue', 'conversation', 'open'], (s) => {
    if (stick || s.pending.length) requestAnimationFrame(() => { scroller.scrollTop = scroller.scrollHeight; });
  });
  return scroller;
}
