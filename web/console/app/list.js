// @ts-check
/* The views column (Mine, Unassigned, Queue, All, teams, inboxes, teammates) and the
 * conversation list with its filters (the Queue view is its own list, queue.js). Rows are kept
 * by id and updated in place. */

import { count, unread, visible } from './filters.js';
import { queueList } from './queue.js';
import { go } from './router.js';
import { clear, CLOCK, contactName, h, icon, since, STATUS_TEXT } from './util.js';

/** @typedef {import('./store.js').Store} Store @typedef {import('./desk.js').Desk} Desk */

/** @param {Store} store @param {Desk} desk */
export function viewsColumn(store, desk) {
  const col = h('nav', { class: 'c-views', 'aria-label': 'Conversation views' });
  const team = h('div', { class: 'c-team', 'aria-label': 'Teammates' });
  /** @param {string} view @param {string} text */
  const item = (view, text) => h('button', { type: 'button', class: 'c-view-item', 'data-view': view, onclick: () => {
    store.set({ filter: { ...store.state.filter, view } });
    if (store.state.route.name !== 'conversations') go(store, { name: 'conversations', id: null, section: null });
  } }, h('span', { text }), h('span', { class: 'c-count' }));
  const render = () => {
    const s = store.state;
    clear(col);
    col.append(h('h2', { text: 'Conversations' }), item('mine', 'Mine'), item('unassigned', 'Unassigned'), item('queue', 'Queue'), item('all', 'All'));
    if (s.teams.length) {
      col.append(h('h3', { text: 'Teams' }));
      for (const t of s.teams) col.append(item('team:' + t.id, t.name));
    }
    if (s.inboxes.length > 1 || desk.lead) {
      col.append(h('h3', { text: 'Inboxes' }));
      for (const i of s.inboxes) col.append(item('inbox:' + i.id, i.name));
    }
    col.append(h('h3', { text: 'Teammates' }), team);
    counts();
  };
  const counts = () => {
    const s = store.state;
    for (const b of col.querySelectorAll('button[data-view]')) {
      const v = /** @type {HTMLElement} */ (b).dataset.view || '';
      const n = count(s, v);
      /** @type {HTMLElement} */ (b.querySelector('.c-count')).textContent = n ? String(n) : '';
      if (v === s.filter.view) b.setAttribute('aria-current', 'true');
      else b.removeAttribute('aria-current');
    }
  };
  const people = () => {
    const s = store.state;
    clear(team);
    const list = [...s.agents.values()].sort((a, b) => a.name.localeCompare(b.name));
    for (const a of list) {
      const st = a.status || 'offline';
      const full = a.open_count != null && a.capacity != null && a.open_count >= a.capacity;
      team.append(h('div', { class: 'c-mate', 'data-agent': a.id, 'data-status': st },
        h('span', { class: 'c-dot', 'data-status': st, title: st }),
        h('span', { class: 'c-mate-name', text: a.name + (a.id === s.me?.id ? ' (you)' : '') }),
        a.open_count != null && a.capacity != null
          ? h('span', { class: 'c-load', 'data-full': full ? 'true' : null, title: a.open_count + ' open of a capacity of ' + a.capacity + (full ? ' (full)' : ''), text: a.open_count + '/' + a.capacity })
          : null,
        h('span', { class: 'c-muted c-mate-status', text: st + (a.connected === false && st !== 'offline' ? ' · not connected' : '') })));
    }
  };
  const offs = [store.watch(['teams', 'inboxes'], render), store.watch(['conversations', 'filter'], counts), store.watch(['agents'], people)];
  return { el: col, unmount: () => offs.forEach((f) => f()) };
}

/** @param {Store} store @param {Desk} desk */
export function conversationList(store, desk) {
  const s0 = store.state;
  /** @param {string} id @param {string} label @param {[string, string][]} options @param {keyof import('./types.js').ListFilter} key */
  const select = (id, label, options, key) => {
    const sel = h('select', { id, 'aria-label': label, onchange: () => {
      store.set({ filter: { ...store.state.filter, [key]: sel.value } });
      if (key === 'status' && sel.value !== 'open') desk.loadConversations(sel.value === 'all' ? {} : { status: sel.value }).catch(() => {});
    } });
    for (const [v, t] of options) sel.append(h('option', { value: v, text: t }));
    sel.value = String(s0.filter[key]);
    return sel;
  };
  const status = select('f-status', 'Status', [['open', 'Open'], ['pending', 'Pending'], ['snoozed', 'Snoozed'], ['resolved', 'Resolved'], ['all', 'All statuses']], 'status');
  const sort = select('f-sort', 'Sort', [['activity', 'Last activity'], ['waiting', 'Waiting longest']], 'sort');
  const label = select('f-label', 'Label', [['', 'Any label']], 'label');
  const assignee = select('f-assignee', 'Assignee', [['', 'Anyone'], ['none', 'Unassigned']], 'assignee');
  const inbox = select('f-inbox', 'Inbox', [['', 'Every inbox']], 'inbox');
  const view = h('select', { id: 'f-view', 'aria-label': 'View', onchange: () => store.set({ filter: { ...store.state.filter, view: view.value } }) });
  const search = h('input', { type: 'search', id: 'f-search', placeholder: 'Search name or e-mail', 'aria-label': 'Search conversations', oninput: () => store.set({ filter: { ...store.state.filter, search: search.value } }) });
  const title = h('h2', { class: 'c-list-title' });
  const ul = h('ul', { class: 'c-rows', id: 'conversation-list', 'aria-label': 'Conversations' });
  const empty = h('p', { class: 'c-empty', text: 'Nothing here. New conversations appear by themselves.', hidden: true });
  const q = queueList(store, desk);
  const narrow = h('span', { class: 'c-narrowing' }, status, sort, label, assignee, inbox, search);
  const el = h('section', { class: 'c-list' }, h('div', { class: 'c-list-head' }, title, h('div', { class: 'c-filters' }, view, narrow)), ul, empty, q.el);

  /** @param {HTMLSelectElement} sel @param {[string, string][]} fixed @param {[string, string][]} opts */
  const refill = (sel, fixed, opts) => {
    const v = sel.value;
    clear(sel);
    for (const [val, t] of [...fixed, ...opts]) sel.append(h('option', { value: val, text: t }));
    sel.value = v;
  };
  const offRef = store.watch(['labels', 'agents', 'inboxes'], (s) => {
    refill(label, [['', 'Any label']], s.labels.map((l) => [l.name, l.name]));
    refill(assignee, [['', 'Anyone'], ['none', 'Unassigned']], [...s.agents.values()].map((a) => [a.id, a.name]));
    refill(inbox, [['', 'Every inbox']], s.inboxes.map((i) => [i.id, i.name]));
  });
  const offViews = store.watch(['teams', 'inboxes', 'filter'], (s) => {
    refill(view, [['mine', 'Mine'], ['unassigned', 'Unassigned'], ['queue', 'Queue'], ['all', 'All']], [...s.teams.map((t) => /** @type {[string, string]} */ (['team:' + t.id, 'Team ' + t.name])), ...s.inboxes.map((i) => /** @type {[string, string]} */ (['inbox:' + i.id, 'Inbox ' + i.name]))]);
    view.value = s.filter.view;
  });

  /** @type {Map<string, HTMLLIElement>} */
  const rows = new Map();
  /** @type {Map<string, string>} */
  const stamps = new Map();
  const render = () => {
    const s = store.state;
    const f = s.filter;
    const v = f.view;
    // The queue has its own order and no filters.
    const inQueue = v === 'queue';
    narrow.hidden = inQueue;
    ul.hidden = inQueue;
    q.el.hidden = !inQueue;
    title.textContent = v === 'mine' ? 'Mine' : v === 'unassigned' ? 'Unassigned' : v === 'queue' ? 'Queue' : v === 'all' ? 'All conversations'
      : v.startsWith('team:') ? 'Team ' + (s.teams.find((t) => t.id === v.slice(5))?.name || '') : 'Inbox ' + (s.inboxes.find((i) => i.id === v.slice(6))?.name || '');
    const list = visible(s);
    const keep = new Set(list.map((c) => c.id));
    for (const [id, li] of rows) if (!keep.has(id)) { li.remove(); rows.delete(id); stamps.delete(id); }
    /** @type {Element|null} */
    let prev = null;
    for (const c of list) {
      const p = s.contacts.get(c.contact_id);
      const last = [...(s.messages.get(c.id) || [])].reverse().find((m) => m.kind !== 'note');
      const stamp = JSON.stringify([c, p?.name, p?.email, last?.seq, s.route.id === c.id, s.agents.get(c.assignee_id || '')?.name, Math.floor(Date.now() / 30000)]);
      let li = rows.get(c.id);
      if (!li || stamps.get(c.id) !== stamp) {
        const fresh = row(s, c, p, last);
        if (li) li.replaceWith(fresh);
        li = fresh;
        rows.set(c.id, li);
        stamps.set(c.id, stamp);
      }
      /** @type {ChildNode|null} */
      const want = prev ? prev.nextSibling : ul.firstChild;
      if (want !== li) ul.insertBefore(li, want);
      prev = li;
    }
    empty.hidden = inQueue || list.length > 0;
    status.value = f.status;
  };
  const offs = [offRef, offViews, store.watch(['conversations', 'contacts', 'filter', 'route', 'agents', 'messages'], render)];
  const tick = setInterval(render, 30000);
  return { el, unmount: () => { offs.forEach((f) => f()); clearInterval(tick); q.unmount(); } };
}

/**
 * @param {import('./types.js').State} s
 * @param {import('./types.js').Conversation} c
 * @param {import('./types.js').Contact|undefined} p
 * @param {import('./types.js').Message|undefined} last
 */
function row(s, c, p, last) {
  const n = unread(c, s.messages.get(c.id));
  const assignee = c.assignee_id ? s.agents.get(c.assignee_id)?.name || 'Someone' : 'Unassigned';
  const inbox = s.inboxes.find((i) => i.id === c.inbox_id)?.name || '';
  const waiting = c.waiting_since && c.status === 'open' ? since(c.waiting_since) : null;
  const preview = last ? (last.author.kind === 'contact' ? '' : (last.author.name || 'Agent') + ': ') + (last.body || (last.attachment ? '📎 ' + last.attachment.name : '')) : '';
  return h('li', { class: 'c-row-item', 'data-id': c.id, 'data-status': c.status },
    h('a', { class: 'c-row', href: '/app/conversations/' + c.id, 'aria-current': s.route.id === c.id ? 'page' : null, 'data-unread': n ? String(n) : null },
      h('span', { class: 'c-row-top' },
        h('span', { class: 'c-row-name', text: contactName(p, c.contact_id) }),
        waiting ? h('span', { class: 'c-wait', title: 'Waiting for a reply', 'data-since': String(c.waiting_since) }, icon(CLOCK), ' ' + waiting) : null,
        n ? h('span', { class: 'c-unread', 'aria-label': n + ' unread', text: String(n) }) : null),
      preview ? h('span', { class: 'c-row-preview', text: preview.slice(0, 120) }) : null,
      h('span', { class: 'c-row-meta' },
        h('span', { class: 'c-chip', 'data-status': c.status, text: STATUS_TEXT[c.status] }),
        c.priority && c.priority !== 'none' ? h('span', { class: 'c-chip c-prio', 'data-priority': c.priority, text: c.priority }) : null,
        ...(c.labels || []).map((l) => h('span', { class: 'c-chip c-label', text: l })),
        h('span', { class: 'c-row-assignee', text: assignee }),
        inbox ? h('span', { class: 'c-muted', text: '· ' + inbox }) : null)));
}
