// @ts-check
/* The top of the panel: the title bar (inbox name, availability, mute, close) and the quiet
 * "reconnecting" banner, shown only when the connection has been down a moment. */

import { h, icon } from './dom.js';
import { t } from './i18n.js';

const CLOSE = 'M6.4 5 5 6.4 10.6 12 5 17.6 6.4 19l5.6-5.6 5.6 5.6 1.4-1.4-5.6-5.6L19 6.4 17.6 5 12 10.6z';
const BELL = 'M12 22a2 2 0 0 0 2-2h-4a2 2 0 0 0 2 2zm6-6V11c0-3.1-1.6-5.6-4.5-6.3V4a1.5 1.5 0 0 0-3 0v.7C7.6 5.4 6 7.9 6 11v5l-2 2v1h16v-1z';
const MUTED = 'M20 18.7 5.3 4 4 5.3l3.1 3.1C6.4 9.1 6 10 6 11v5l-2 2v1h13.7l1 1zM18 11c0-3.1-1.6-5.6-4.5-6.3V4a1.5 1.5 0 0 0-3 0v.7c-.6.1-1.1.4-1.6.7L18 14.5zM12 22a2 2 0 0 0 2-2h-4a2 2 0 0 0 2 2z';

/**
 * @param {import('./store.js').Store} store
 * @param {import('./types.js').Actions} actions
 */
export function header(store, actions) {
  const title = h('h1', { class: 'ld-title' });
  const sub = h('p', { class: 'ld-sub' });
  const mute = h('button', { type: 'button', class: 'ld-icon-btn', onclick: actions.toggleMute });
  const close = h('button', { type: 'button', class: 'ld-icon-btn', 'aria-label': t('close'), onclick: actions.close }, icon(CLOSE));
  const el = h('header', { class: 'ld-header' }, h('div', { class: 'ld-head-text' }, title, sub), mute, close);
  store.watch(['config'], (s) => {
    title.textContent = s.config.name;
    sub.textContent = s.config.agents_online ? t('online') : t('away');
  });
  store.watch(['muted'], (s) => {
    mute.replaceChildren(icon(s.muted ? MUTED : BELL));
    mute.setAttribute('aria-label', s.muted ? t('unmute') : t('mute'));
    mute.setAttribute('aria-pressed', String(s.muted));
  });
  return el;
}

/** @param {import('./store.js').Store} store */
export function banner(store) {
  const el = h('div', { class: 'ld-banner', role: 'status' });
  /** @type {ReturnType<typeof setTimeout>|undefined} */
  let timer;
  /** @param {string} text */
  const say = (text) => {
    el.textContent = text;
    el.classList.toggle('ld-on', !!text);
  };
  store.watch(['conn', 'fatal'], (s) => {
    clearTimeout(timer);
    if (s.fatal) say(s.fatal);
    else if (s.conn === 'connecting' || s.conn === 'unauthorized') timer = setTimeout(() => say(t('reconnecting')), 1500);
    else say('');
  });
  return el;
}
