// @ts-check
/* The frame around every screen: the top bar (navigation, connection, presence,
 * notifications, account) and the page for the route. */

import { call } from './http.js';
import { go } from './router.js';
import { clear, h } from './util.js';
import { startNotifications, noticeBell } from './notify.js';
import { presenceControl, startPresence } from './presence.js';
import { startKeys } from './keys.js';
import { helpOverlay } from './help.js';

/** @typedef {import('./store.js').Store} Store @typedef {import('./desk.js').Desk} Desk */

/** @param {HTMLElement} root @param {Store} store @param {Desk} desk */
export function mountShell(root, store, desk) {
  const nav = h('nav', { class: 'c-nav', 'aria-label': 'Main' });
  const links = /** @type {const} */ ([['conversations', 'Conversations'], ['visitors', 'Visitors'], ['settings', 'Settings']]);
  for (const [name, text] of links) {
    nav.append(h('a', { href: '/app/' + name, 'data-route': name, text }, name === 'visitors' ? h('span', { class: 'c-count', id: 'visitor-count' }) : null));
  }
  const conn = h('span', { class: 'c-conn', role: 'status', id: 'conn' });
  const who = h('span', { class: 'c-me' });
  const signOut = h('button', { type: 'button', class: 'c-link', text: 'Sign out', onclick: async () => {
    await call('/auth/logout', { method: 'POST' }).catch(() => {});
    desk.client.stop();
    location.assign('/app');
  } });
  const header = h('header', { class: 'c-top' },
    h('a', { class: 'c-brand', href: '/app/conversations', text: 'Livedesk' }), nav, conn,
    h('span', { class: 'c-spacer' }), presenceControl(store, desk), noticeBell(store), who, signOut);
  const page = h('div', { class: 'c-page' });
  const toast = h('div', { class: 'c-toast', role: 'status', hidden: true });
  root.append(header, page, toast, helpOverlay(store));

  store.watch(['me'], (s) => { who.textContent = s.me ? `${s.me.name} · ${s.me.role}` : ''; });
  store.watch(['conn'], (s) => {
    conn.textContent = s.conn === 'open' ? '' : s.conn === 'connecting' ? 'Reconnecting…' : s.conn === 'idle' ? '' : 'Offline';
    conn.dataset.state = s.conn;
  });
  store.watch(['visitors'], (s) => {
    const n = /** @type {HTMLElement} */ (nav.querySelector('#visitor-count'));
    n.textContent = s.visitors.size ? String(s.visitors.size) : '';
  });
  /** @type {ReturnType<typeof setTimeout>|undefined} */
  let toastTimer;
  store.watch(['toast'], (s) => {
    toast.textContent = s.toast || '';
    toast.hidden = !s.toast;
    clearTimeout(toastTimer);
    if (s.toast) toastTimer = setTimeout(() => store.set({ toast: null }), 5000);
  });

  let current = '';
  /** @type {(() => void)|null} */
  let unmount = null;
  store.watch(['route'], async (s) => {
    for (const a of nav.querySelectorAll('a')) {
      if (a.dataset.route === s.route.name) a.setAttribute('aria-current', 'page');
      else a.removeAttribute('aria-current');
    }
    const name = s.route.name === 'setup' ? 'conversations' : s.route.name;
    if (name === current) return;
    current = name;
    unmount?.();
    unmount = null;
    clear(page);
    page.dataset.page = name;
    if (name === 'visitors') unmount = (await import('./visitors.js')).mountVisitors(page, store, desk);
    else if (name === 'settings') unmount = (await import('./settings.js')).mountSettings(page, store, desk);
    else unmount = (await import('./inbox.js')).mountConversations(page, store, desk);
  });
  if (store.state.route.name === 'setup') go(store, { name: 'conversations', id: null, section: null });
  startNotifications(store, desk);
  startPresence(store, desk);
  startKeys(store, desk);
}
