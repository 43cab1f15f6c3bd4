// @ts-check
/* Notifications: a short tone (WebAudio), the browser's Notification API, an in-app list,
 * and the unread count in the tab title. For new conversations, new messages in my
 * conversations, mentions and transfers (server `notification` frames). */

import { unread } from './filters.js';
import { go } from './router.js';
import { BELL, contactName, h, clear, icon, since } from './util.js';

/** @type {AudioContext|null} */
let ctx = null;
let lastTone = 0;

export function unlockAudio() {
  try {
    ctx ||= new AudioContext();
    if (ctx.state === 'suspended') ctx.resume();
  } catch { /* no audio */ }
}

/** @param {'soft'|'alert'} kind */
export function tone(kind = 'soft') {
  if (Date.now() - lastTone < 800) return;
  lastTone = Date.now();
  try {
    unlockAudio();
    if (!ctx) return;
    const t = ctx.currentTime;
    const gain = ctx.createGain();
    gain.gain.setValueAtTime(0.0001, t);
    gain.gain.exponentialRampToValueAtTime(0.2, t + 0.02);
    gain.gain.exponentialRampToValueAtTime(0.0001, t + 0.45);
    gain.connect(ctx.destination);
    const notes = kind === 'alert' ? [660, 880, 1100] : [740, 990];
    notes.forEach((f, i) => {
      const osc = /** @type {AudioContext} */ (ctx).createOscillator();
      osc.type = 'sine';
      osc.frequency.value = f;
      osc.connect(gain);
      osc.start(t + i * 0.1);
      osc.stop(t + 0.45);
    });
  } catch { /* no audio */ }
}

/** @param {import('./store.js').Store} store @param {import('./desk.js').Desk} desk */
export function startNotifications(store, desk) {
  for (const type of ['pointerdown', 'keydown']) addEventListener(type, unlockAudio, { once: true });
  /** @param {import('./types.js').Notice} n @param {'soft'|'alert'} sound */
  const notify = (n, sound) => {
    const s = store.state;
    store.set({ notices: [n, ...s.notices].slice(0, 50) });
    if (s.settings.sound) tone(sound);
    if (s.settings.desktop && 'Notification' in window && Notification.permission === 'granted' && document.visibilityState !== 'visible') {
      try {
        const x = new Notification('Livedesk', { body: n.text, tag: n.id });
        x.onclick = () => { focus(); if (n.conversation_id) go(store, { name: 'conversations', id: n.conversation_id, section: null }); };
      } catch { /* not allowed here */ }
    }
  };
  store.on('notice', (raw) => {
    const by = raw.by?.name;
    const lead = raw.kind === 'mention' ? ' mentioned you' : raw.kind === 'transfer' ? ' transferred a conversation to you' : raw.kind === 'assigned' ? ' assigned you a conversation' : '';
    const text = (by && !String(raw.text || '').startsWith(by) ? by + lead + (raw.text ? ': ' : '') : '') + (raw.text || raw.kind);
    /** @type {import('./types.js').Notice} */
    const n = { id: raw.id || crypto.randomUUID(), kind: raw.kind, conversation_id: raw.conversation_id || null, by: raw.by || null, text, at: raw.at || Date.now() };
    notify(n, 'alert');
  });
  store.on('conversation.new', (c) => {
    if (!store.state.settings.notifyNew || c.status !== 'open') return;
    if (c.assignee_id) return;
    const who = contactName(store.state.contacts.get(c.contact_id), c.contact_id);
    notify({ id: 'new-' + c.id, kind: 'new_conversation', conversation_id: c.id, by: null, text: 'New conversation with ' + who, at: Date.now() }, 'soft');
  });
  store.on('message', ({ message: m }) => {
    const s = store.state;
    if (m.author.kind !== 'contact' || !s.settings.notifyMessages) return;
    const c = s.conversations.get(m.conversation_id);
    if (!c || c.assignee_id !== desk.me.id) return;
    if (s.route.id === c.id && document.visibilityState === 'visible') return;
    const who = contactName(s.contacts.get(c.contact_id), c.contact_id);
    notify({ id: 'msg-' + m.id, kind: 'message', conversation_id: c.id, by: null, text: who + ': ' + (m.body || 'sent a file').slice(0, 140), at: m.created_at }, 'soft');
  });
  // "(3) Livedesk": conversations of mine (or unassigned) with unread messages.
  store.watch(['conversations', 'messages', 'me'], (s) => {
    let n = 0;
    for (const c of s.conversations.values()) if (c.status === 'open' && (!c.assignee_id || c.assignee_id === s.me?.id) && unread(c, s.messages.get(c.id)) > 0) n++;
    const title = 'Livedesk — agent console';
    document.title = n ? `(${n}) ${title}` : title;
  });
}

/** The bell in the top bar with the recent notifications. @param {import('./store.js').Store} store */
export function noticeBell(store) {
  let seen = 0;
  const count = h('span', { class: 'c-count', id: 'notice-count' });
  const list = h('ul', { class: 'c-notices', id: 'notices', 'aria-label': 'Notifications' });
  const box = h('details', { class: 'c-bell' }, h('summary', { 'aria-label': 'Notifications' }, icon(BELL), count), list);
  box.addEventListener('toggle', () => {
    if (box.open) { seen = store.state.notices.length ? store.state.notices[0].at : seen; count.textContent = ''; }
  });
  store.watch(['notices'], (s) => {
    clear(list);
    if (!s.notices.length) list.append(h('li', { class: 'c-muted', text: 'No notifications yet.' }));
    for (const n of s.notices) {
      list.append(h('li', { class: 'c-notice', 'data-kind': n.kind },
        n.conversation_id ? h('a', { href: '/app/conversations/' + n.conversation_id, text: n.text, onclick: () => { box.open = false; } }) : h('span', { text: n.text }),
        h('span', { class: 'c-muted', text: ' ' + since(n.at) + ' ago' })));
    }
    const fresh = s.notices.filter((n) => n.at > seen).length;
    count.textContent = fresh && !box.open ? String(fresh) : '';
  });
  return box;
}
