// @ts-check
/* The customer beside a conversation: who they are (verified or not), custom attributes
 * (editable), where they are on the site and were before, their browser and local time, and
 * their other conversations. */

import { call, reason } from './http.js';
import { clear, clock, contactName, describeAgent, h, localTime, STATUS_TEXT } from './util.js';

/** @param {import('./store.js').Store} store @param {import('./desk.js').Desk} desk @param {string} id */
export function customerPanel(store, desk, id) {
  const el = h('aside', { class: 'c-customer', id: 'customer', 'aria-label': 'Customer' });
  /** @type {import('./types.js').ContactDetail|null} */
  let detail = null;
  let failed = false;
  const contactId = () => store.state.conversations.get(id)?.contact_id || '';

  const load = () => {
    const cid = contactId();
    if (!cid) return;
    desk.contactDetail(cid).then((d) => { detail = d; render(); }, () => { failed = true; render(); });
  };

  const render = () => {
    const s = store.state;
    const cid = contactId();
    const contact = s.contacts.get(cid) || detail?.contact;
    clear(el);
    el.append(h('h3', { id: 'customer-name', text: contactName(contact, cid) }));
    if (contact?.verified) el.append(h('span', { class: 'c-chip c-verified', id: 'verified', text: '✓ Verified', title: 'Identity confirmed by the website' }));
    if (contact?.blocked) el.append(h('span', { class: 'c-chip c-blocked', id: 'blocked', text: 'Blocked', title: 'Their widget sessions were ended and are refused' }));
    el.append(h('dl', { class: 'c-facts' },
      h('dt', { text: 'E-mail' }), h('dd', { id: 'customer-email', text: contact?.email || '—' }),
      ...(detail ? [
        h('dt', { text: 'Browser' }), h('dd', { text: describeAgent(detail.user_agent) || '—' }),
        h('dt', { text: 'Local time' }), h('dd', { text: localTime(detail.timezone) || '—' }),
      ] : [])));
    if (failed && !detail) el.append(h('p', { class: 'c-muted', text: 'More about this customer is not available.' }));
    el.append(attributes(contact));
    const pages = detail?.pages || [];
    el.append(h('h4', { text: 'On the site' }));
    const visitor = s.visitors.get(cid);
    const now = visitor?.page || pages[0];
    el.append(now
      ? h('p', { class: 'c-page-now', id: 'current-page' }, visitor ? h('span', { class: 'c-dot', 'data-status': 'online', title: 'On the site now' }) : null, link(now))
      : h('p', { class: 'c-muted', text: 'No page views yet.' }));
    if (pages.length > 1) {
      const ol = h('ol', { class: 'c-pages', id: 'page-history' });
      for (const p of pages.slice(0, 20)) ol.append(h('li', null, link(p), h('span', { class: 'c-muted', text: ' ' + clock(p.viewed_at) })));
      el.append(h('details', null, h('summary', { text: 'Page history (' + pages.length + ')' }), ol));
    }
    const others = [...s.conversations.values()].filter((c) => c.contact_id === cid && c.id !== id).sort((a, b) => b.created_at - a.created_at);
    el.append(h('h4', { text: 'Previous conversations' }));
    if (!others.length) el.append(h('p', { class: 'c-muted', text: 'None.' }));
    const ul = h('ul', { class: 'c-prev', id: 'previous-conversations' });
    for (const c of others) ul.append(h('li', null, h('a', { href: '/app/conversations/' + c.id, text: clock(c.created_at) + ' · ' + STATUS_TEXT[c.status] })));
    el.append(ul);
    if (contact) el.append(blocking(contact));
  };

  /** Block (two steps, so a slip cannot do it) or lift a block. @param {import('./types.js').Contact} contact */
  const blocking = (contact) => {
    let armed = false;
    const button = h('button', { type: 'button', id: 'block-contact', class: 'c-danger', text: contact.blocked ? 'Unblock' : 'Block this visitor', onclick: () => {
      if (!contact.blocked && !armed) {
        armed = true;
        button.textContent = 'Confirm: block';
        store.set({ toast: 'Blocking ends their chat sessions at once and refuses their verified identity. Click again to confirm.' });
        return;
      }
      patch({ blocked: !contact.blocked });
    } });
    return h('div', { class: 'c-block' }, button);
  };

  /** @param {import('./types.js').PageView} p */
  const link = (p) => {
    let href = null;
    try { const u = new URL(p.url); if (u.protocol === 'http:' || u.protocol === 'https:') href = u.href; } catch { /* not a URL */ }
    return h('a', { href: href || undefined, target: '_blank', rel: 'noopener noreferrer', text: p.title || p.url, title: p.url });
  };

  /** @param {import('./types.js').Contact|undefined} contact */
  const attributes = (contact) => {
    const box = h('div', { class: 'c-attrs' }, h('h4', { text: 'Attributes' }));
    const table = h('div', { class: 'c-attr-list', id: 'attributes' });
    for (const [k, v] of Object.entries(contact?.attributes || {})) {
      const input = h('input', { value: v == null ? '' : String(v), 'aria-label': k, 'data-key': k });
      input.addEventListener('change', () => save({ [k]: input.value === '' ? null : input.value }));
      table.append(h('label', { class: 'c-attr' }, h('span', { text: k }), input));
    }
    const key = h('input', { placeholder: 'new attribute', 'aria-label': 'New attribute name', id: 'attr-key' });
    const val = h('input', { placeholder: 'value', 'aria-label': 'New attribute value', id: 'attr-value' });
    const add = h('form', { class: 'c-attr c-attr-new' }, key, val, h('button', { type: 'submit', text: 'Add' }));
    add.addEventListener('submit', (e) => {
      e.preventDefault();
      if (/^[\w.-]{1,64}$/.test(key.value.trim())) save({ [key.value.trim()]: val.value });
      else store.set({ toast: 'Attribute names are letters, digits, _ . and -.' });
    });
    const name = h('input', { value: contact?.name || '', 'aria-label': 'Name', id: 'contact-name' });
    const email = h('input', { value: contact?.email || '', type: 'email', 'aria-label': 'E-mail', id: 'contact-email' });
    const who = h('form', { class: 'c-attr-new' }, name, email, h('button', { type: 'submit', text: 'Save' }));
    who.addEventListener('submit', (e) => {
      e.preventDefault();
      /** @type {Record<string, any>} */
      const body = {};
      if (name.value.trim() && name.value.trim() !== contact?.name) body.name = name.value.trim();
      if (email.value.trim() && email.value.trim() !== contact?.email) body.email = email.value.trim();
      if (Object.keys(body).length) patch(body);
    });
    box.append(table, add);
    if (!contact?.verified) box.append(h('details', null, h('summary', { text: 'Edit name and e-mail' }), who));
    return box;
  };

  /** @param {Record<string, any>} attrs */
  const save = (attrs) => patch({ attributes: attrs });
  /** @param {Record<string, any>} body */
  const patch = async (body) => {
    try {
      const c = await call('/contacts/' + encodeURIComponent(contactId()), { method: 'PATCH', body });
      store.put('contacts', c.id, c);
    } catch (e) {
      store.set({ toast: reason(e) });
    }
  };

  const offs = [
    store.watch(['contacts', 'visitors'], () => {
      // Do not rebuild under the agent's fingers.
      if (el.contains(document.activeElement) && document.activeElement?.tagName === 'INPUT') return;
      render();
    }),
    store.on('page_view', (p) => {
      if (p.contact_id !== contactId() || !detail) return;
      detail = { ...detail, pages: [p, ...detail.pages].slice(0, 100) };
      render();
    }),
  ];
  load();
  return { el, unmount: () => offs.forEach((f) => f()) };
}
