// @ts-check
/* Keyboard navigation of the whole console (outside text fields). */

import { visible } from './filters.js';
import { go } from './router.js';
import { typingInField } from './util.js';

/** @param {import('./store.js').Store} store @param {import('./desk.js').Desk} desk */
export function startKeys(store, desk) {
  let prefix = '';
  addEventListener('keydown', (e) => {
    const s = store.state;
    if (e.key === 'Escape' && s.help) return store.set({ help: false });
    if (e.ctrlKey || e.metaKey || e.altKey || typingInField()) return;
    const id = s.route.name === 'conversations' ? s.route.id : null;
    /** @param {Record<string, any>} body */
    const patch = (body) => id && desk.patch(id, body).catch((x) => store.set({ toast: String(x.message || x) }));
    if (prefix === 'g') {
      prefix = '';
      const to = e.key === 'v' ? 'visitors' : e.key === 's' ? 'settings' : e.key === 'c' ? 'conversations' : null;
      if (to) go(store, { name: to, id: null, section: null });
      return;
    }
    let handled = true;
    if (e.key === '?') store.set({ help: !s.help });
    else if (e.key === 'j' || e.key === 'k') {
      const list = visible(s);
      if (!list.length) return;
      const at = list.findIndex((c) => c.id === id);
      const next = at < 0 ? 0 : Math.max(0, Math.min(list.length - 1, at + (e.key === 'j' ? 1 : -1)));
      go(store, { name: 'conversations', id: list[next].id, section: null });
      document.querySelector(`[data-id="${list[next].id}"]`)?.scrollIntoView({ block: 'nearest' });
    } else if (e.key === 'g') prefix = 'g';
    else if (e.key === 'c' && id) /** @type {HTMLElement|null} */ (document.getElementById('composer'))?.focus();
    else if (e.key === 'n' && id) store.emit('compose-note', null);
    else if (e.key === 'a' && id) patch({ assignee_id: s.me?.id });
    else if (e.key === 'r' && id) patch({ status: 'resolved' });
    else if (e.key === 'o' && id) patch({ status: 'open' });
    else if (e.key === 't' && id) /** @type {HTMLElement|null} */ (document.getElementById('transfer'))?.click();
    else handled = false;
    if (handled) e.preventDefault();
  });
}
