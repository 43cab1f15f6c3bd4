// @ts-check
/* Who is on the site now: current page, time on site, whether they chatted; "Start chat"
 * opens a conversation assigned to me with a first message. Updated by visitor.online /
 * visitor.offline / contact.page_view frames. */

import { reason } from './http.js';
import { go } from './router.js';
import { clear, contactName, h, since } from './util.js';

/** @param {HTMLElement} page @param {import('./store.js').Store} store @param {import('./desk.js').Desk} desk */
export function mountVisitors(page, store, desk) {
  const tbody = h('tbody', { id: 'visitor-rows' });
  const empty = h('p', { class: 'c-empty', id: 'no-visitors', text: 'Nobody is on your site right now.' });
  const count = h('span', { class: 'c-muted', id: 'visitor-total' });
  page.append(h('section', { class: 'c-visitors' },
    h('div', { class: 'c-list-head' }, h('h2', { text: 'Live visitors' }), count),
    h('table', { class: 'c-table' }, h('thead', null, h('tr', null, ...['Visitor', 'Page', 'On site', 'Inbox', 'Chat', ''].map((t) => h('th', { text: t })))), tbody),
    empty));
  /** @type {Set<string>} */
  const composing = new Set();

  const render = () => {
    const s = store.state;
    const list = [...s.visitors.values()].sort((a, b) => a.connected_at - b.connected_at);
    count.textContent = list.length + ' online';
    empty.hidden = list.length > 0;
    // Keep a row whose first message is being typed.
    const focused = document.activeElement;
    if (focused?.tagName === 'INPUT' && focused.closest('tr[data-contact]')) return;
    clear(tbody);
    for (const v of list) {
      const name = v.name || v.email || contactName(s.contacts.get(v.contact_id), v.contact_id);
      const inbox = s.inboxes.find((i) => i.id === v.inbox_id)?.name || '';
      const chat = v.conversation_id
        ? h('a', { href: '/app/conversations/' + v.conversation_id, text: 'Open chat' })
        : h('span', { class: 'c-muted', text: 'Not chatted' });
      const tr = h('tr', { 'data-contact': v.contact_id },
        h('td', null, h('span', { class: 'c-dot', 'data-status': 'online' }), ' ' + name, v.verified ? h('span', { class: 'c-chip c-verified', text: '✓' }) : null),
        h('td', { class: 'c-visitor-page' }, v.page ? h('span', { title: v.page.url, text: v.page.title || v.page.url }) : h('span', { class: 'c-muted', text: '—' })),
        h('td', { text: since(v.connected_at) }),
        h('td', { text: inbox }),
        h('td', null, chat),
        h('td', null, start(v)));
      tbody.append(tr);
    }
  };

  /** @param {import('./types.js').LiveVisitor} v */
  const start = (v) => {
    if (!composing.has(v.contact_id)) {
      return h('button', { type: 'button', class: 'c-start-chat', text: v.conversation_id ? 'New chat' : 'Start chat', onclick: () => { composing.add(v.contact_id); render(); } });
    }
    const input = h('input', { class: 'c-first-message', 'aria-label': 'First message', placeholder: 'Hi! Can I help you find something?', required: true });
    const form = h('form', { class: 'c-start-form' }, input, h('button', { type: 'submit', class: 'c-primary', text: 'Send' }));
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      const text = input.value.trim();
      if (!text) return;
      composing.delete(v.contact_id);
      input.blur();
      try {
        const c = await desk.startChat(v, text);
        go(store, { name: 'conversations', id: c.id, section: null });
      } catch (err) {
        store.set({ toast: 'Could not start the chat: ' + reason(err) });
        render();
      }
    });
    queueMicrotask(() => input.focus());
    return form;
  };

  const off = store.watch(['visitors', 'inboxes', 'contacts'], render);
  const tick = setInterval(render, 15000);
  return () => { off(); clearInterval(tick); };
}
