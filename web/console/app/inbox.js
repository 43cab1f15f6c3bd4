// @ts-check
/* The conversations page: views, the list, the open conversation and the customer panel. */

import { conversationList, viewsColumn } from './list.js';
import { clear, h } from './util.js';

/** @param {HTMLElement} page @param {import('./store.js').Store} store @param {import('./desk.js').Desk} desk */
export function mountConversations(page, store, desk) {
  const views = viewsColumn(store, desk);
  const list = conversationList(store, desk);
  const main = h('div', { class: 'c-main' });
  page.append(h('div', { class: 'c-inbox' }, views.el, list.el, main));
  let shown = '';
  /** @type {(() => void)|null} */
  let close = null;
  const off = store.watch(['route'], async (s) => {
    const id = s.route.name === 'conversations' ? s.route.id : null;
    if ((id || '') === shown) return;
    shown = id || '';
    close?.();
    close = null;
    clear(main);
    if (!id) {
      main.append(h('div', { class: 'c-empty c-pick' }, h('p', { text: 'Pick a conversation, or press j / k.' }), h('p', { class: 'c-muted', text: 'Press ? for keyboard shortcuts.' })));
      return;
    }
    const mod = await import('./conversation.js');
    if (shown !== id) return;
    close = mod.mountConversation(main, store, desk, id);
  });
  return () => { off(); close?.(); views.unmount(); list.unmount(); };
}
