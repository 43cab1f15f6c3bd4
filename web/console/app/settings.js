// @ts-check
/* Settings: my account and notifications for everyone; inboxes, agents, teams, canned
 * responses and labels for those allowed (the server enforces it; the UI hides the rest). */

import { call, reason } from './http.js';
import { go } from './router.js';
import { saveSettings } from './settings-store.js';
import { clear, h } from './util.js';

/** @typedef {import('./store.js').Store} Store @typedef {import('./desk.js').Desk} Desk */

/** @param {string} id @param {string} label @param {HTMLElement} input */
const field = (id, label, input) => {
  input.id = id;
  return h('div', { class: 'c-field' }, h('label', { for: id, text: label }), input);
};
/** @param {string} text */
const saved = (text) => h('p', { class: 'c-saved', role: 'status', text });

/** @param {HTMLElement} page @param {Store} store @param {Desk} desk */
export function mountSettings(page, store, desk) {
  const side = h('nav', { class: 'c-views', 'aria-label': 'Settings' });
  const body = h('section', { class: 'c-settings', id: 'settings' });
  page.append(h('div', { class: 'c-settings-page' }, side, body));
  const role = desk.me.role;
  const sections = /** @type {[string, string, boolean][]} */ ([
    ['account', 'My account', true], ['notifications', 'Notifications', true],
    ['inboxes', 'Inboxes', role === 'admin'], ['agents', 'Agents', role === 'admin'], ['teams', 'Teams', role === 'admin'],
    ['canned', 'Canned responses', role !== 'agent'], ['labels', 'Labels', role === 'admin'],
  ]).filter((x) => x[2]);
  for (const [key, text] of sections) side.append(h('a', { href: '/app/settings/' + key, 'data-section': key, class: 'c-view-item', text }));
  let shown = '';
  // A form being edited is not rebuilt under its editor when data changes (another admin's
  // save, or the refresh after an earlier save of this form arriving late, which would put
  // the stored values back and make the next Save send them): edits hold from the first
  // change until a button is pressed (Save, Delete, …: what it does should show) or a form
  // is submitted, or the section is left.
  let edited = false;
  const edit = () => { edited = true; };
  const act = () => { edited = false; };
  body.addEventListener('input', edit);
  body.addEventListener('change', edit);
  body.addEventListener('submit', act, true);
  body.addEventListener('click', (e) => { if (e.target instanceof Element && e.target.closest('button')) act(); }, true);
  const off = store.watch(['route', 'inboxes', 'agents', 'teams', 'canned', 'labels'], (s) => {
    const sec = sections.some((x) => x[0] === s.route.section) ? /** @type {string} */ (s.route.section) : 'account';
    const key = sec + '|' + (s.route.id || '');
    // Rebuild on data changes only when nothing is being edited.
    const focused = document.activeElement;
    const typing = focused && body.contains(focused) && /^(INPUT|TEXTAREA|SELECT)$/.test(focused.tagName) && /** @type {HTMLInputElement} */ (focused).type !== 'checkbox';
    if (key === shown && (edited || typing)) return;
    shown = key;
    edited = false;
    for (const a of side.querySelectorAll('a')) a.toggleAttribute('aria-current', a.dataset.section === sec);
    clear(body);
    const build = { account, notifications, inboxes, agents, teams, canned, labels }[sec];
    build?.(body, store, desk);
  });
  return off;
}

/** @param {HTMLElement} el @param {Store} store @param {Desk} desk */
function account(el, store, desk) {
  const me = desk.me;
  const name = h('input', { value: me.name });
  const nameForm = h('form', { class: 'c-card' }, h('h2', { text: 'My account' }), h('p', { class: 'c-muted', text: me.email + ' · ' + me.role }),
    field('me-name', 'Name', name), h('button', { type: 'submit', text: 'Save name' }));
  nameForm.addEventListener('submit', async (e) => {
    e.preventDefault();
    try {
      const a = await call('/me', { method: 'PATCH', body: { name: name.value.trim() } });
      store.set({ me: { ...me, ...a } });
      nameForm.append(saved('Saved.'));
    } catch (err) { store.set({ toast: reason(err) }); }
  });
  const cur = h('input', { type: 'password', autocomplete: 'current-password', required: true });
  const next = h('input', { type: 'password', autocomplete: 'new-password', minLength: 10, required: true });
  const pw = h('form', { class: 'c-card' }, h('h3', { text: 'Change password' }), field('pw-current', 'Current password', cur), field('pw-new', 'New password (at least 10 characters)', next),
    h('p', { class: 'c-muted', text: 'Changing it signs you out everywhere else.' }), h('button', { type: 'submit', text: 'Change password' }));
  pw.addEventListener('submit', async (e) => {
    e.preventDefault();
    try {
      await call('/auth/password', { method: 'POST', body: { current_password: cur.value, new_password: next.value }, quiet401: true });
      cur.value = next.value = '';
      pw.append(saved('Password changed.'));
      desk.client.reconnect();
    } catch (err) {
      store.set({ toast: /** @type {any} */ (err).code === 'invalid_credentials' ? 'The current password is wrong.' : reason(err) });
    }
  });
  const all = h('div', { class: 'c-card' }, h('h3', { text: 'Sessions' }),
    h('button', { type: 'button', id: 'logout-all', text: 'Sign out everywhere', onclick: async () => {
      await call('/auth/logout-all', { method: 'POST' }).catch(() => {});
      desk.client.stop();
      location.assign('/app');
    } }));
  el.append(nameForm, pw, all);
}

/** @param {HTMLElement} el @param {Store} store @param {Desk} desk */
function notifications(el, store, desk) {
  const s = store.state.settings;
  /** @param {keyof import('./types.js').Settings} key @param {string} text */
  const box = (key, text) => {
    const cb = h('input', { type: 'checkbox', checked: !!s[key], id: 'set-' + key, onchange: () => update({ [key]: cb.checked }) });
    return h('label', { class: 'c-check' }, cb, text);
  };
  /** @param {Partial<import('./types.js').Settings>} p */
  const update = (p) => {
    const next = { ...store.state.settings, ...p };
    saveSettings(desk.me.id, next);
    store.set({ settings: next });
  };
  const away = h('input', { type: 'number', min: '0', max: '240', value: String(s.autoAwayMinutes), onchange: () => update({ autoAwayMinutes: Math.max(0, Number(away.value) || 0) }) });
  const perm = h('button', { type: 'button', text: 'Allow desktop notifications', onclick: async () => {
    if ('Notification' in window) perm.textContent = 'Desktop notifications: ' + (await Notification.requestPermission());
  } });
  el.append(h('div', { class: 'c-card' }, h('h2', { text: 'Notifications' }), h('p', { class: 'c-muted', text: 'Saved in this browser, for you only.' }),
    box('sound', 'Play a sound'), box('desktop', 'Show desktop notifications when this tab is in the background'), perm,
    box('notifyNew', 'New conversations'), box('notifyMessages', 'New messages in my conversations'),
    h('p', { class: 'c-muted', text: 'Mentions and transfers always notify.' }),
    field('set-away', 'Set me away after this many idle minutes (0: never)', away)));
}

/** How each routing policy hands out conversations (one line each, shown under the choice). */
const POLICIES = /** @type {[import('./types.js').RoutingPolicy, string, string][]} */ ([
  ['manual', 'Manual', 'New conversations wait in the queue; any agent takes one.'],
  ['round_robin', 'Round robin', 'Assigned at once to the next online agent with room, in turn.'],
  ['least_busy', 'Least busy', 'Assigned at once to the online agent with the fewest open conversations.'],
]);

/**
 * A policy select with the chosen policy's explanation under it.
 * @param {string} id @param {string} label @param {string} value
 * @param {[string, string, string][]} [extra] options before the policies: value, text, explanation
 */
function policySelect(id, label, value, extra = []) {
  const all = [...extra, ...POLICIES];
  const hint = h('p', { class: 'c-hint', id: id + '-hint' });
  const sel = h('select', { 'aria-describedby': id + '-hint', onchange: () => explain() });
  for (const [v, t] of all) sel.append(h('option', { value: v, text: t }));
  sel.value = value;
  const explain = () => { hint.textContent = all.find((p) => p[0] === sel.value)?.[2] || ''; };
  explain();
  const el = field(id, label, sel);
  el.append(hint);
  return { el, sel };
}

/** @param {Record<string, any>} row @param {string[]} ids @param {string} name @param {{id: string, name: string}[]} all */
function checks(row, ids, name, all) {
  const box = h('fieldset', { class: 'c-checks' }, h('legend', { text: name }));
  if (!all.length) box.append(h('span', { class: 'c-muted', text: 'None yet.' }));
  for (const x of all) box.append(h('label', { class: 'c-check' }, h('input', { type: 'checkbox', value: x.id, checked: ids.includes(x.id), name: row.key }), x.name));
  return box;
}
/** @param {HTMLElement} box */
const checked = (box) => [...box.querySelectorAll('input:checked')].map((i) => /** @type {HTMLInputElement} */ (i).value);

/** @param {HTMLElement} el @param {Store} store @param {Desk} desk */
function inboxes(el, store, desk) {
  const s = store.state;
  const list = h('ul', { class: 'c-plain', id: 'inbox-list' });
  for (const i of s.inboxes) list.append(h('li', null, h('a', { href: '/app/settings/inboxes/' + i.id, text: i.name })));
  const name = h('input', { required: true, placeholder: 'Website' });
  const create = h('form', { class: 'c-inline' }, name, h('button', { type: 'submit', text: 'Create inbox' }));
  create.addEventListener('submit', async (e) => {
    e.preventDefault();
    try {
      const i = await call('/inboxes', { method: 'POST', body: { name: name.value.trim(), allowed_origins: [] } });
      await desk.refreshDirectory();
      go(store, { name: 'settings', section: 'inboxes', id: i.id });
    } catch (err) { store.set({ toast: reason(err) }); }
  });
  el.append(h('div', { class: 'c-card' }, h('h2', { text: 'Inboxes' }), list, create));
  const inbox = s.inboxes.find((i) => i.id === s.route.id) || (s.route.id ? null : s.inboxes[0]);
  if (inbox) el.append(inboxForm(inbox, store, desk));
}

/** @param {import('./types.js').Inbox} inbox @param {Store} store @param {Desk} desk */
function inboxForm(inbox, store, desk) {
  const st = inbox.settings;
  const snippet = `<script src="${location.origin}/widget/loader.js" data-inbox="${inbox.id}" async></script>`;
  const code = h('code', { id: 'snippet', text: snippet });
  const copy = h('button', { type: 'button', id: 'copy-snippet', text: 'Copy', onclick: async () => {
    try { await navigator.clipboard.writeText(snippet); copy.textContent = 'Copied'; } catch {
      const r = document.createRange(); r.selectNodeContents(code); getSelection()?.removeAllRanges(); getSelection()?.addRange(r);
      copy.textContent = 'Press Ctrl+C';
    }
  } });
  const name = h('input', { value: inbox.name, required: true });
  const origins = h('textarea', { rows: 3, value: inbox.allowed_origins.join('\n'), placeholder: 'https://shop.example.com' });
  const color = h('input', { type: 'color', value: st.color });
  const position = h('select', null, h('option', { value: 'right', text: 'Bottom right' }), h('option', { value: 'left', text: 'Bottom left' }));
  position.value = st.position;
  const greeting = h('textarea', { rows: 2, value: st.greeting || '' });
  const away = h('textarea', { rows: 2, value: st.away_message || '' });
  const prechat = h('textarea', { rows: 3, value: st.prechat_fields.map((f) => [f.key, f.label, f.kind, f.required ? 'required' : ''].join(' | ')).join('\n'), placeholder: 'email | Your e-mail | email | required' });
  const secret = h('input', { type: 'password', autocomplete: 'off', placeholder: inbox.identity_verification ? 'set (enter a new one to change, "-" to turn off)' : 'at least 32 characters' });
  const members = checks({ key: 'member' }, inbox.member_ids || [], 'Members (agents who answer this inbox; admins and supervisors see every inbox)', [...store.state.agents.values()]);
  const r = inbox.routing || { policy: 'manual', reoffer_secs: 0, reoffer_marks_away: false };
  const policy = policySelect('in-policy', 'Policy', r.policy);
  const reoffer = h('input', { type: 'number', min: '0', max: '86400', step: '1', value: String(r.reoffer_secs), class: 'c-narrow' });
  const marks = h('input', { type: 'checkbox', id: 'in-reoffer-away', checked: r.reoffer_marks_away });
  const routing = h('fieldset', { class: 'c-checks', id: 'in-routing' }, h('legend', { text: 'Routing' }), policy.el,
    field('in-reoffer', 'Re-offer an unanswered assignment after this many seconds (0: never)', reoffer),
    h('label', { class: 'c-check' }, marks, 'Set the agent who did not answer to away when re-offering'),
    h('p', { class: 'c-hint', text: 'Only online members below their capacity get conversations; a team’s own policy overrides this one for its conversations.' }));
  const form = h('form', { class: 'c-card', id: 'inbox-form' }, h('h3', { text: inbox.name }),
    h('div', { class: 'c-snippet' }, h('p', { text: 'Paste this into every page of your site:' }), code, copy),
    field('in-name', 'Name', name), field('in-origins', 'Allowed origins, one per line', origins),
    h('div', { class: 'c-inline' }, field('in-color', 'Colour', color), field('in-position', 'Position', position)),
    field('in-greeting', 'Greeting', greeting), field('in-away', 'Away message (when nobody is online)', away),
    field('in-prechat', 'Pre-chat fields: key | label | text or email | required', prechat),
    field('in-secret', 'Identity verification secret', secret), members, routing,
    h('button', { type: 'submit', class: 'c-primary', text: 'Save inbox' }));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    /** @type {Record<string, any>} */
    const body = {
      name: name.value.trim(), allowed_origins: origins.value.split(/\s+/).filter(Boolean), color: color.value, position: position.value,
      greeting: greeting.value.trim(), away_message: away.value.trim(),
      prechat_fields: prechat.value.split('\n').map((l) => l.split('|').map((x) => x.trim())).filter((p) => p[0]).map(([key, label, kind, req]) => ({ key, label: label || key, kind: kind === 'email' ? 'email' : 'text', required: req === 'required' })),
    };
    if (secret.value) body.identity_secret = secret.value === '-' ? '' : secret.value;
    const secs = Math.round(Number(reoffer.value));
    if (!Number.isFinite(secs) || secs < 0 || secs > 86400) {
      store.set({ toast: 'Re-offer after: a number of seconds from 0 to 86400.' });
      reoffer.focus();
      return;
    }
    // Routing and members are always sent: `inbox` is the inbox as this form was built,
    // which an earlier save from the same form may have changed since.
    body.routing = { policy: policy.sel.value, reoffer_secs: secs, reoffer_marks_away: marks.checked };
    body.member_ids = checked(members);
    try {
      await call('/inboxes/' + inbox.id, { method: 'PATCH', body });
      await desk.refreshDirectory();
      store.set({ toast: 'Inbox saved.' });
    } catch (err) { store.set({ toast: reason(err) }); }
  });
  return form;
}

/** @param {HTMLElement} el @param {Store} store @param {Desk} desk */
function agents(el, store, desk) {
  const s = store.state;
  const table = h('table', { class: 'c-table', id: 'agent-table' }, h('thead', null, h('tr', null, ...['Name', 'E-mail', 'Role', 'Capacity', 'Status', 'Inboxes', 'Teams', ''].map((t) => h('th', { text: t })))));
  const tb = h('tbody');
  table.append(tb);
  for (const a of [...s.agents.values()].sort((x, y) => x.name.localeCompare(y.name))) {
    const roleSel = h('select', { 'aria-label': 'Role of ' + a.name }, ...['agent', 'supervisor', 'admin'].map((r) => h('option', { value: r, text: r })));
    roleSel.value = a.role;
    const cap = h('input', { type: 'number', min: '0', max: '100', value: String(a.capacity ?? 5), 'aria-label': 'Capacity of ' + a.name, class: 'c-narrow' });
    const inb = checks({ key: 'inb' }, a.inbox_ids || [], 'Inboxes', s.inboxes);
    const tms = checks({ key: 'tm' }, a.team_ids || [], 'Teams', s.teams);
    const save = h('button', { type: 'button', text: 'Save', onclick: async () => {
      try {
        const r = await call('/agents/' + a.id, { method: 'PATCH', body: { role: roleSel.value, capacity: Number(cap.value), inbox_ids: checked(inb), team_ids: checked(tms) } });
        store.put('agents', a.id, { ...a, ...r });
        desk.refreshDirectory().catch(() => {});
        store.set({ toast: 'Saved ' + a.name + '.' });
      } catch (err) { store.set({ toast: reason(err) }); }
    } });
    const self = a.id === s.me?.id;
    const active = a.active !== false;
    /** @param {'PATCH' | 'DELETE'} method @param {string} path @param {any} body @param {string} done */
    const admin = async (method, path, body, done) => {
      try {
        const r = await call(path, { method, body });
        if (method === 'PATCH') store.put('agents', a.id, { ...a, ...r });
        desk.refreshDirectory().catch(() => {});
        store.set({ toast: done });
      } catch (err) { store.set({ toast: reason(err) }); }
    };
    let armed = false;
    const toggle = h('button', { type: 'button', class: 'c-deactivate', text: active ? 'Deactivate' : 'Reactivate', disabled: self, onclick: async () => {
      if (active && !armed) {
        armed = true;
        toggle.textContent = 'Confirm deactivation';
        store.set({ toast: a.name + ' will be signed out at once and cannot sign in; their open conversations go back to the queue, their history stays. Click again to confirm.' });
        return;
      }
      await admin('PATCH', '/agents/' + a.id, { active: !active }, (active ? 'Deactivated ' : 'Reactivated ') + a.name + '.');
    } });
    const end = h('button', { type: 'button', class: 'c-end-sessions', text: 'Sign out everywhere', disabled: self || !active, onclick: async () => {
      await admin('DELETE', '/agents/' + a.id + '/sessions', undefined, 'Signed ' + a.name + ' out everywhere.');
    } });
    const state = active ? (a.status || 'offline') + (a.connected ? ' · connected' : '') + (a.open_count != null ? ' · ' + a.open_count + ' open' : '') : 'deactivated';
    tb.append(h('tr', { 'data-agent': a.id, class: active ? '' : 'c-inactive' }, h('td', { text: a.name }), h('td', { text: a.email }), h('td', null, roleSel), h('td', null, cap),
      h('td', { text: state }), h('td', null, inb), h('td', null, tms), h('td', null, save, toggle, end)));
  }
  const email = h('input', { type: 'email', required: true });
  const name = h('input', { required: true });
  const role = h('select', null, ...['agent', 'supervisor', 'admin'].map((r) => h('option', { value: r, text: r })));
  const pw = h('input', { type: 'password', minLength: 10, required: true, autocomplete: 'new-password' });
  const cap = h('input', { type: 'number', min: '0', value: '5' });
  const inb = checks({ key: 'ninb' }, [], 'Inboxes', s.inboxes);
  const tms = checks({ key: 'ntm' }, [], 'Teams', s.teams);
  const form = h('form', { class: 'c-card', id: 'new-agent' }, h('h3', { text: 'Add an agent' }),
    field('na-name', 'Name', name), field('na-email', 'E-mail', email), field('na-role', 'Role', role), field('na-password', 'Initial password (at least 10 characters)', pw), field('na-capacity', 'Capacity (open chats at once)', cap), inb, tms,
    h('button', { type: 'submit', class: 'c-primary', text: 'Add agent' }));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    /** @type {Record<string, any>} */
    const b = { email: email.value.trim(), name: name.value.trim(), role: role.value, password: pw.value, capacity: Number(cap.value) };
    if (checked(inb).length) b.inbox_ids = checked(inb);
    if (checked(tms).length) b.team_ids = checked(tms);
    try {
      const a = await call('/agents', { method: 'POST', body: b });
      store.put('agents', a.id, a);
      desk.refreshDirectory().catch(() => {});
    } catch (err) { store.set({ toast: reason(err) }); }
  });
  el.append(h('div', { class: 'c-card' }, h('h2', { text: 'Agents' }), table), form);
}

/** @param {HTMLElement} el @param {Store} store @param {Desk} desk */
function teams(el, store, desk) {
  const s = store.state;
  const all = [...s.agents.values()];
  const card = h('div', { class: 'c-card' }, h('h2', { text: 'Teams' }));
  for (const t of s.teams) {
    const name = h('input', { value: t.name, 'aria-label': 'Team name' });
    const mem = checks({ key: 'm' + t.id }, t.member_ids, 'Members', all);
    const pol = policySelect('tp-' + t.id, 'Routing for this team’s conversations', t.policy || '', [['', 'Follow the inbox', 'The routing of each conversation’s inbox decides.']]);
    pol.sel.setAttribute('data-team-policy', t.id);
    const f = h('form', { class: 'c-team-form', 'data-team': t.id }, name, mem, pol.el, h('button', { type: 'submit', text: 'Save' }),
      h('button', { type: 'button', class: 'c-danger', text: 'Delete', onclick: async () => {
        if (!confirm('Delete team ' + t.name + '?')) return;
        await call('/teams/' + t.id, { method: 'DELETE' }).then(() => desk.refreshDirectory(), (e) => store.set({ toast: reason(e) }));
      } }));
    f.addEventListener('submit', async (e) => {
      e.preventDefault();
      /** @type {Record<string, any>} */
      // The policy is always sent: `t` is the team as this form was built, which an
      // earlier save from the same form may have changed since.
      const b = { name: name.value.trim(), member_ids: checked(mem), policy: pol.sel.value || null };
      await call('/teams/' + t.id, { method: 'PATCH', body: b }).then(() => { store.set({ toast: 'Team saved.' }); return desk.refreshDirectory(); }, (x) => store.set({ toast: reason(x) }));
    });
    card.append(f);
  }
  const name = h('input', { required: true, placeholder: 'Billing' });
  const f = h('form', { class: 'c-inline', id: 'new-team' }, name, h('button', { type: 'submit', text: 'Create team' }));
  f.addEventListener('submit', async (e) => {
    e.preventDefault();
    await call('/teams', { method: 'POST', body: { name: name.value.trim(), member_ids: [] } }).then(() => desk.refreshDirectory(), (x) => store.set({ toast: reason(x) }));
  });
  card.append(f);
  el.append(card);
}

/** @param {HTMLElement} el @param {Store} store @param {Desk} desk */
function canned(el, store, desk) {
  const card = h('div', { class: 'c-card' }, h('h2', { text: 'Canned responses' }),
    h('p', { class: 'c-muted', text: 'Type / and the shortcut in a reply. Variables: {{contact.name}}, {{contact.email}}, {{agent.name}}, {{contact.attributes.KEY}}.' }));
  /** @param {import('./types.js').Canned|null} c */
  const form = (c) => {
    const sc = h('input', { value: c?.shortcut || '', pattern: '[a-z0-9_\\-]{1,32}', required: true, 'aria-label': 'Shortcut', placeholder: 'shortcut' });
    const title = h('input', { value: c?.title || '', required: true, 'aria-label': 'Title', placeholder: 'Title' });
    const body = h('textarea', { value: c?.body || '', required: true, rows: 2, 'aria-label': 'Text', placeholder: 'Hi {{contact.name}}, …' });
    const f = h('form', { class: 'c-canned-form' }, sc, title, body, h('button', { type: 'submit', text: c ? 'Save' : 'Add' }),
      c ? h('button', { type: 'button', class: 'c-danger', text: 'Delete', onclick: () => call('/canned-responses/' + c.id, { method: 'DELETE' }).then(() => desk.refreshDirectory(), (x) => store.set({ toast: reason(x) })) }) : null);
    f.addEventListener('submit', (e) => {
      e.preventDefault();
      const b = { shortcut: sc.value.trim(), title: title.value.trim(), body: body.value };
      (c ? call('/canned-responses/' + c.id, { method: 'PATCH', body: b }) : call('/canned-responses', { method: 'POST', body: b }))
        .then(() => desk.refreshDirectory(), (x) => store.set({ toast: reason(x) }));
    });
    return f;
  };
  for (const c of store.state.canned) card.append(form(c));
  card.append(h('h3', { text: 'New' }), form(null));
  el.append(card);
}

/** @param {HTMLElement} el @param {Store} store @param {Desk} desk */
function labels(el, store, desk) {
  const card = h('div', { class: 'c-card' }, h('h2', { text: 'Labels' }));
  const ul = h('ul', { class: 'c-plain' });
  for (const l of store.state.labels) {
    const sw = h('span', { class: 'c-swatch' });
    if (l.color && /^#[0-9a-f]{6}$/i.test(l.color)) sw.style.background = l.color;
    ul.append(h('li', null, sw, ' ' + l.name + ' ', h('button', { type: 'button', class: 'c-danger', text: 'Delete', onclick: () => call('/labels/' + l.id, { method: 'DELETE' }).then(() => desk.refreshDirectory(), (x) => store.set({ toast: reason(x) })) })));
  }
  const name = h('input', { required: true, placeholder: 'vip', 'aria-label': 'Label name' });
  const color = h('input', { type: 'color', value: '#8250df', 'aria-label': 'Colour' });
  const f = h('form', { class: 'c-inline' }, name, color, h('button', { type: 'submit', text: 'Add label' }));
  f.addEventListener('submit', (e) => {
    e.preventDefault();
    call('/labels', { method: 'POST', body: { name: name.value.trim(), color: color.value } }).then(() => desk.refreshDirectory(), (x) => store.set({ toast: reason(x) }));
  });
  card.append(ul, f);
  el.append(card);
}
