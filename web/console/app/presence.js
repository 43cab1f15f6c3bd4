// @ts-check
/* My status (online / away / offline, PATCH /me), away by itself after N idle minutes and back
 * online on activity when it was set automatically. */

import { call, reason } from './http.js';
import { h } from './util.js';

/** @param {import('./store.js').Store} store @param {import('./desk.js').Desk} desk */
export function presenceControl(store, desk) {
  const sel = h('select', { id: 'presence', 'aria-label': 'My status', onchange: () => setStatus(store, desk, /** @type {any} */ (sel.value), false) });
  for (const [v, t] of [['online', '● Online'], ['away', '◐ Away'], ['offline', '○ Offline']]) sel.append(h('option', { value: v, text: t }));
  store.watch(['me'], (s) => {
    sel.value = s.me?.status || 'offline';
    sel.dataset.status = sel.value;
  });
  return sel;
}

/**
 * @param {import('./store.js').Store} store @param {import('./desk.js').Desk} desk
 * @param {import('./types.js').Presence} status @param {boolean} auto
 */
export async function setStatus(store, desk, status, auto) {
  const me = store.state.me;
  if (!me) return;
  store.set({ me: { ...me, status }, autoAway: auto && status === 'away' });
  store.put('agents', me.id, { ...store.state.agents.get(me.id), ...me, status });
  try {
    const a = await call('/me', { method: 'PATCH', body: { status } });
    if (a && a.id) store.set({ me: { .../** @type {any} */ (store.state.me), ...a } });
  } catch (e) {
    if (!auto) store.set({ toast: 'Status not saved: ' + reason(e) });
  }
  void desk;
}

/** @param {import('./store.js').Store} store @param {import('./desk.js').Desk} desk */
export function startPresence(store, desk) {
  let last = Date.now();
  const active = () => {
    last = Date.now();
    if (store.state.autoAway && store.state.me?.status === 'away') setStatus(store, desk, 'online', false);
  };
  for (const t of ['pointerdown', 'keydown', 'mousemove', 'wheel']) addEventListener(t, active, { passive: true });
  setInterval(() => {
    const s = store.state;
    const mins = s.settings.autoAwayMinutes;
    if (mins > 0 && s.me?.status === 'online' && Date.now() - last > mins * 60e3) setStatus(store, desk, 'away', true);
  }, 5000);
}
