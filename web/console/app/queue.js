// @ts-check
/* The Queue view: conversations waiting for an agent, in the order routing serves them
 * (`GET /conversations?sort=queue`, then kept live from socket events), with each one's place,
 * how long it has waited and a Take button. */

import { queue } from './filters.js';
import { reason } from './http.js';
import { go } from './router.js';
import { CLOCK, contactName, h, icon, since } from './util.js';

/** @typedef {import('./store.js').Store} Store @typedef {import('./desk.js').Desk} Desk */

/** @param {Store} store @param {Desk} desk */
export function queueList(store, desk) {
  const ol = h('ol', { class: 'c-rows c-queue', id: 'queue-list', 'aria-label': 'Queue, next first' });
  const empty = h('p', { class: 'c-empty', id: 'queue-empty', text: 'Nobody is waiting. Conversations routing cannot assign yet wait here.', hidden: true });
  const el = h('div', { class: 'c-queue-wrap' }, ol, empty);
  /** @type {Set<string>} */
  const taking = new Set();

  /** @param {import('./types.js').Conversation} c */
  const take = async (c) => {
    taking.add(c.id);
    render();
    try {
      await desk.patch(c.id, { assignee_id: desk.me.id });
      go(store, { name: 'conversations', id: c.id, section: null });
    } catch (e) {
      store.set({ toast: 'Not taken: ' + reason(e) });
    } finally {
      taking.delete(c.id);
      render();
    }
  };

  /** @type {Map<string, HTMLLIElement>} */
  const rows = new Map();
  /** @type {Map<string, string>} */
  const stamps = new Map();
  // Rows are kept by id and rebuilt only when they change (a focused Take button stays).
  const render = () => {
    const s = store.state;
    const list = queue(s);
    const now = Date.now();
    const keep = new Set(list.map((c) => c.id));
    for (const [id, li] of rows) if (!keep.has(id)) { li.remove(); rows.delete(id); stamps.delete(id); }
    /** @type {Element|null} */
    let prev = null;
    list.forEach((c, i) => {
      const p = s.contacts.get(c.contact_id);
      const stamp = JSON.stringify([c, i, p?.name, p?.email, s.route.id === c.id, taking.has(c.id), since(Number(c.queued_at), now)]);
      let li = rows.get(c.id);
      if (!li || stamps.get(c.id) !== stamp) {
        const fresh = row(s, c, p, i + 1, now);
        const had = li?.contains(document.activeElement) ? /** @type {HTMLElement} */ (document.activeElement).className : null;
        if (li) li.replaceWith(fresh);
        li = fresh;
        if (had) /** @type {HTMLElement|null} */ (li.querySelector('.' + had.split(' ')[0]))?.focus();
        rows.set(c.id, li);
        stamps.set(c.id, stamp);
      }
      /** @type {ChildNode|null} */
      const want = prev ? prev.nextSibling : ol.firstChild;
      if (want !== li) ol.insertBefore(li, want);
      prev = li;
    });
    empty.hidden = list.length > 0;
  };

  /**
   * @param {import('./types.js').State} s @param {import('./types.js').Conversation} c
   * @param {import('./types.js').Contact|undefined} p @param {number} pos @param {number} now
   */
  const row = (s, c, p, pos, now) => {
    const inbox = s.inboxes.find((x) => x.id === c.inbox_id)?.name || '';
    const team = c.team_id ? s.teams.find((t) => t.id === c.team_id)?.name : null;
    const name = contactName(p, c.contact_id);
    const busy = taking.has(c.id);
    return h('li', { class: 'c-queue-item', 'data-id': c.id, 'data-position': String(pos) },
      h('span', { class: 'c-queue-pos', title: 'Place in the queue', text: String(pos) }),
      h('a', { class: 'c-row', href: '/app/conversations/' + c.id, 'aria-current': s.route.id === c.id ? 'page' : null },
        h('span', { class: 'c-row-top' },
          h('span', { class: 'c-row-name', text: name }),
          h('span', { class: 'c-wait', title: 'Waiting in the queue', 'data-since': String(c.queued_at) }, icon(CLOCK), ' ' + since(Number(c.queued_at), now))),
        h('span', { class: 'c-row-meta' },
          c.priority && c.priority !== 'none' ? h('span', { class: 'c-chip c-prio', 'data-priority': c.priority, text: c.priority }) : null,
          inbox ? h('span', { class: 'c-muted', text: inbox }) : null,
          team ? h('span', { class: 'c-muted', text: '· Team ' + team }) : null)),
      h('button', { type: 'button', class: 'c-take', 'aria-label': 'Take ' + name, text: busy ? 'Taking…' : 'Take', disabled: busy, onclick: () => take(c) }));
  };

  const offs = [store.watch(['conversations', 'contacts', 'inboxes', 'teams', 'route'], render)];
  // Waiting times move on by themselves.
  const tick = setInterval(render, 10000);
  desk.loadQueue().catch(() => {});
  return { el, unmount: () => { offs.forEach((f) => f()); clearInterval(tick); } };
}
