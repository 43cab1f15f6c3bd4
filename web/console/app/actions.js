// @ts-check
/* What an agent can do to a conversation: assign, take over, transfer (with a note), status
 * (resolve, reopen, pending, snooze until), priority and labels. The server decides; a refusal
 * is shown. */

import { reason } from './http.js';
import { clear, h, PRIORITIES, STATUS_TEXT } from './util.js';

/** @typedef {import('./store.js').Store} Store @typedef {import('./desk.js').Desk} Desk */

/** "online · 2/5 open", "away · full 5/5". @param {import('./types.js').Agent} a */
export function agentLoad(a) {
  const st = a.status || 'offline';
  if (a.open_count == null || a.capacity == null) return st;
  return st + ' · ' + (a.open_count >= a.capacity ? 'full ' : '') + a.open_count + '/' + a.capacity + ' open';
}

/** @param {Store} store @param {Desk} desk @param {string} id */
export function actionsBar(store, desk, id) {
  const el = h('div', { class: 'c-actions', role: 'toolbar', 'aria-label': 'Conversation actions' });
  /** @param {Record<string, any>} body */
  const patch = (body) => desk.patch(id, body).catch((e) => store.set({ toast: reason(e) }));
  const dialog = h('div', { class: 'c-pop', hidden: true });

  const render = () => {
    const s = store.state;
    const c = s.conversations.get(id);
    if (!c || !s.me) return;
    const me = s.me;
    clear(el);
    const status = h('span', { class: 'c-chip', 'data-status': c.status, id: 'conv-status', text: STATUS_TEXT[c.status] + (c.status === 'snoozed' && c.snoozed_until ? ' until ' + new Date(c.snoozed_until).toLocaleString() : '') });
    const assign = h('select', { id: 'assign', 'aria-label': 'Assignee', onchange: () => patch({ assignee_id: assign.value || null }) });
    assign.append(h('option', { value: '', text: 'Unassigned' }));
    for (const a of [...s.agents.values()].sort((x, y) => x.name.localeCompare(y.name))) {
      assign.append(h('option', { value: a.id, text: a.name + ' (' + agentLoad(a) + ')' }));
    }
    assign.value = c.assignee_id || '';
    const lead = desk.lead;
    // Plain agents may take unassigned conversations and change their own.
    assign.disabled = !lead && !!c.assignee_id && c.assignee_id !== me.id;
    el.append(status, assign);
    if (c.assignee_id !== me.id) {
      if (!c.assignee_id) el.append(h('button', { type: 'button', id: 'assign-me', text: 'Assign to me', title: 'a', onclick: () => patch({ assignee_id: me.id }) }));
      else if (lead) el.append(h('button', { type: 'button', id: 'take-over', text: 'Take over', onclick: () => patch({ assignee_id: me.id }) }));
    }
    el.append(h('button', { type: 'button', id: 'transfer', text: 'Transfer…', onclick: () => transferDialog() }));
    if (c.status === 'resolved') el.append(h('button', { type: 'button', id: 'reopen', text: 'Reopen', onclick: () => patch({ status: 'open' }) }));
    else {
      el.append(h('button', { type: 'button', id: 'resolve', class: 'c-primary', text: 'Resolve', title: 'r', onclick: () => patch({ status: 'resolved' }) }));
      if (c.status !== 'pending') el.append(h('button', { type: 'button', id: 'pending', text: 'Pending', onclick: () => patch({ status: 'pending' }) }));
      if (c.status !== 'open') el.append(h('button', { type: 'button', id: 'reopen', text: 'Open', onclick: () => patch({ status: 'open' }) }));
      el.append(h('button', { type: 'button', id: 'snooze', text: 'Snooze…', onclick: () => snoozeDialog() }));
    }
    const prio = h('select', { id: 'priority', 'aria-label': 'Priority', onchange: () => patch({ priority: prio.value }) });
    for (const p of PRIORITIES) prio.append(h('option', { value: p, text: p === 'none' ? 'No priority' : 'Priority: ' + p }));
    prio.value = c.priority || 'none';
    el.append(prio, labelsMenu(s, c), dialog);
  };

  /** @param {import('./types.js').State} s @param {import('./types.js').Conversation} c */
  const labelsMenu = (s, c) => {
    const have = new Set(c.labels || []);
    const box = h('details', { class: 'c-labels-menu' }, h('summary', { text: have.size ? 'Labels (' + have.size + ')' : 'Labels' }));
    const list = h('div', { class: 'c-menu' });
    if (!s.labels.length) list.append(h('p', { class: 'c-muted', text: 'No labels yet (Settings → Labels).' }));
    for (const l of s.labels) {
      const cb = h('input', { type: 'checkbox', checked: have.has(l.name), onchange: () => {
        const next = new Set(store.state.conversations.get(id)?.labels || []);
        if (cb.checked) next.add(l.name); else next.delete(l.name);
        patch({ labels: [...next] });
      } });
      list.append(h('label', { class: 'c-check' }, cb, h('span', { class: 'c-swatch', 'data-color': l.color || '' }), l.name));
    }
    box.append(list);
    for (const sw of box.querySelectorAll('.c-swatch')) {
      const col = /** @type {HTMLElement} */ (sw).dataset.color;
      if (col && /^#[0-9a-f]{6}$/i.test(col)) /** @type {HTMLElement} */ (sw).style.background = col;
    }
    return box;
  };

  const transferDialog = () => {
    const s = store.state;
    const to = h('select', { id: 'transfer-to', 'aria-label': 'Transfer to' });
    const agents = h('optgroup', { label: 'Agents' });
    for (const a of [...s.agents.values()].sort((x, y) => x.name.localeCompare(y.name))) {
      if (a.id !== s.me?.id) agents.append(h('option', { value: 'agent:' + a.id, text: a.name + ' (' + agentLoad(a) + ')' }));
    }
    const teams = h('optgroup', { label: 'Teams' });
    for (const t of s.teams) teams.append(h('option', { value: 'team:' + t.id, text: t.name }));
    to.append(agents, teams);
    const note = h('textarea', { id: 'transfer-note', rows: 3, placeholder: 'Note for the next agent (optional, private)' });
    const go = h('button', { type: 'submit', class: 'c-primary', id: 'transfer-go', text: 'Transfer' });
    const problem = h('p', { class: 'c-error', id: 'transfer-error', role: 'alert' });
    const form = h('form', { class: 'c-card' }, h('h3', { text: 'Transfer conversation' }), to, note, problem,
      h('div', { class: 'c-row-buttons' }, go, h('button', { type: 'button', text: 'Cancel', onclick: () => { dialog.hidden = true; } })));
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      const [kind, target] = to.value.split(':');
      if (!target) return;
      /** @type {{agent_id?: string, team_id?: string, note?: string}} */
      const body = kind === 'agent' ? { agent_id: target } : { team_id: target };
      if (note.value.trim()) body.note = note.value.trim();
      go.disabled = true;
      problem.textContent = '';
      try {
        await desk.transfer(id, body);
        dialog.hidden = true;
        store.set({ toast: 'Transferred.' });
      } catch (err) {
        const a = kind === 'agent' ? store.state.agents.get(target) : null;
        const full = /** @type {any} */ (err).code === 'agent_at_capacity';
        problem.textContent = full
          ? (a?.name || 'That agent') + ' is at capacity' + (a?.capacity != null ? ' (' + a.capacity + ' open conversations)' : '') + '. Pick someone else or a team, or ask a supervisor.'
          : reason(err);
        go.disabled = false;
        to.focus();
      }
    });
    dialog.replaceChildren(form);
    dialog.hidden = false;
    to.focus();
  };

  const snoozeDialog = () => {
    const at = h('input', { type: 'datetime-local', id: 'snooze-until', required: true });
    const d = new Date(Date.now() + 3600e3);
    at.value = new Date(d.getTime() - d.getTimezoneOffset() * 60e3).toISOString().slice(0, 16);
    /** @param {string} label @param {number} ms */
    const quick = (label, ms) => h('button', { type: 'button', text: label, onclick: () => snooze(Date.now() + ms) });
    /** @param {number} until */
    const snooze = (until) => { dialog.hidden = true; patch({ status: 'snoozed', snoozed_until: until }); };
    const form = h('form', { class: 'c-card' }, h('h3', { text: 'Snooze until' }),
      h('div', { class: 'c-row-buttons' }, quick('1 hour', 3600e3), quick('Tomorrow', 86400e3), quick('Next week', 7 * 86400e3)),
      at, h('div', { class: 'c-row-buttons' }, h('button', { type: 'submit', class: 'c-primary', text: 'Snooze' }), h('button', { type: 'button', text: 'Cancel', onclick: () => { dialog.hidden = true; } })));
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      const t = new Date(at.value).getTime();
      if (t > Date.now()) snooze(t);
    });
    dialog.replaceChildren(form);
    dialog.hidden = false;
  };

  const off = store.watch(['conversations', 'agents', 'labels', 'teams', 'me'], (s) => {
    // Keep an open dialog: re-render only the controls.
    const keep = !dialog.hidden;
    const c = s.conversations.get(id);
    const stamp = JSON.stringify([c?.status, c?.assignee_id, c?.priority, c?.labels, c?.snoozed_until, [...s.agents.values()].map((a) => a.name + agentLoad(a)), s.labels, s.teams.length]);
    if (stamp === el.dataset.stamp) return;
    el.dataset.stamp = stamp;
    render();
    if (!keep) dialog.hidden = true;
  });
  return { el, unmount: off };
}
