// @ts-check
/* One open conversation: header with actions, the thread, who is typing (with the visitor's
 * live draft), the composer and the customer panel. */

import { actionsBar } from './actions.js';
import { composer } from './composer.js';
import { customerPanel } from './customer.js';
import { thread } from './thread.js';
import { ApiError } from './http.js';
import { contactName, h } from './util.js';

/**
 * @param {HTMLElement} main @param {import('./store.js').Store} store @param {import('./desk.js').Desk} desk @param {string} id
 * @returns {() => void}
 */
export function mountConversation(main, store, desk, id) {
  const loading = h('p', { class: 'c-empty', text: 'Loading…' });
  main.append(loading);
  /** @type {(() => void)[]} */
  const offs = [];
  let gone = false;
  desk.open(id).then(() => {
    if (gone) return;
    loading.remove();
    build();
  }, (e) => {
    if (gone) return;
    loading.remove();
    const denied = e instanceof ApiError && (e.status === 404 || e.status === 403);
    main.append(h('div', { class: 'c-empty c-denied', id: 'conversation-denied', role: 'alert' },
      h('h2', { text: denied ? 'Conversation not available' : 'Could not load the conversation' }),
      h('p', { text: denied ? 'It does not exist, or it belongs to an inbox you are not a member of.' : String(e.message || e) }),
      h('a', { href: '/app/conversations', text: 'Back to the list' })));
  });

  function build() {
    const name = h('h2', { class: 'c-conv-name', id: 'conv-name' });
    const sub = h('span', { class: 'c-muted', id: 'conv-sub' });
    const actions = actionsBar(store, desk, id);
    const th = thread(store, desk, id);
    const typing = h('div', { class: 'c-typing', id: 'typing', 'aria-live': 'polite' });
    const comp = composer(store, desk, id);
    const customer = customerPanel(store, desk, id);
    const toggle = h('button', { type: 'button', class: 'c-link c-customer-toggle', text: 'Customer', 'aria-expanded': 'false', onclick: () => {
      const open = customer.el.classList.toggle('c-open');
      toggle.setAttribute('aria-expanded', String(open));
    } });
    const center = h('section', { class: 'c-conv', 'aria-labelledby': 'conv-name', 'data-conversation': id },
      h('div', { class: 'c-conv-head' }, h('div', { class: 'c-conv-title' }, name, sub), toggle), actions.el, th.el, typing, comp.el);
    main.append(h('div', { class: 'c-conv-wrap' }, center, customer.el));
    offs.push(actions.unmount, th.unmount, comp.unmount, customer.unmount);
    offs.push(store.watch(['conversations', 'contacts', 'inboxes'], (s) => {
      const c = s.conversations.get(id);
      if (!c) return;
      name.textContent = contactName(s.contacts.get(c.contact_id), c.contact_id);
      sub.textContent = s.inboxes.find((i) => i.id === c.inbox_id)?.name || '';
    }));
    const showTyping = () => {
      const s = store.state;
      const now = Date.now();
      const lines = [];
      for (const [k, t] of s.typing) {
        if (!k.startsWith(id + ':') || t.until < now) continue;
        const who = t.author.kind === 'contact' ? contactName(s.contacts.get(s.conversations.get(id)?.contact_id || '')) : t.author.name || 'A teammate';
        lines.push(h('div', { class: 'c-typing-line', 'data-kind': t.author.kind }, h('span', { text: who + ' is typing…' }),
          t.draft ? h('span', { class: 'c-peek', title: 'What they are typing (not sent yet)', text: t.draft }) : null));
      }
      typing.replaceChildren(...lines);
    };
    offs.push(store.watch(['typing'], showTyping));
    const tick = setInterval(showTyping, 2000);
    offs.push(() => clearInterval(tick));

    // Read receipts for what this agent has on screen.
    const read = () => {
      const held = store.state.messages.get(id) || [];
      const last = held[held.length - 1];
      if (last && document.visibilityState === 'visible') desk.client.receipt(id, last.seq, 'read');
    };
    offs.push(store.watch(['messages'], read));
    addEventListener('focus', read);
    document.addEventListener('visibilitychange', read);
    offs.push(() => { removeEventListener('focus', read); document.removeEventListener('visibilitychange', read); });
    comp.focus();
  }
  return () => { gone = true; offs.forEach((f) => f()); };
}
