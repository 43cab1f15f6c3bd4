// @ts-check
/* A filtered list under the composer (canned responses, @mentions): arrows move, Enter or
 * Tab picks, Escape closes. */

import { h } from './util.js';

/**
 * @template T
 * @param {{id: string, label: string}} opts
 */
export function picker(opts) {
  const ul = h('ul', { class: 'c-picker', id: opts.id, role: 'listbox', 'aria-label': opts.label, hidden: true });
  /** @type {T[]} */
  let items = [];
  let at = 0;
  /** @type {(item: T) => void} */
  let onPick = () => {};
  const api = {
    el: ul,
    get open() { return !ul.hidden; },
    /**
     * @param {T[]} list @param {(item: T) => [string, string]} text main text and detail @param {(item: T) => void} pick
     */
    show(list, text, pick) {
      items = list;
      onPick = pick;
      at = Math.min(at, Math.max(0, list.length - 1));
      ul.replaceChildren(...list.map((x, i) => {
        const [main, detail] = text(x);
        const li = h('li', { role: 'option', 'aria-selected': String(i === at), class: 'c-pick-item' }, h('strong', { text: main }), detail ? h('span', { class: 'c-muted', text: detail }) : null);
        li.addEventListener('mousedown', (e) => { e.preventDefault(); pick(x); });
        return li;
      }));
      if (!list.length) ul.append(h('li', { class: 'c-muted', text: 'No match' }));
      ul.hidden = false;
    },
    hide() { ul.hidden = true; at = 0; },
    /** @param {KeyboardEvent} e @returns {boolean} handled */
    key(e) {
      if (ul.hidden) return false;
      if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
        at = (at + (e.key === 'ArrowDown' ? 1 : items.length - 1)) % Math.max(1, items.length);
        ul.querySelectorAll('li').forEach((li, i) => li.setAttribute('aria-selected', String(i === at)));
        return true;
      }
      if ((e.key === 'Enter' || e.key === 'Tab') && items[at]) { onPick(items[at]); return true; }
      if (e.key === 'Escape') { api.hide(); return true; }
      return false;
    },
  };
  return api;
}
