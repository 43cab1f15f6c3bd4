// @ts-check
/* The keyboard shortcuts overlay (`?`). */

import { h } from './util.js';

export const SHORTCUTS = [
  ['j / k', 'Next / previous conversation in the list'],
  ['Enter', 'Send (Shift+Enter: new line)'],
  ['c', 'Focus the composer'],
  ['n', 'Write a private note'],
  ['a', 'Assign the open conversation to me'],
  ['r', 'Resolve the open conversation'],
  ['o', 'Reopen the open conversation'],
  ['t', 'Transfer…'],
  ['g v / g c / g s', 'Go to visitors / conversations / settings'],
  ['/', 'At the start of a reply: canned responses'],
  ['@', 'In a note: mention a teammate'],
  ['?', 'This help'],
  ['Esc', 'Close'],
];

/** @param {import('./store.js').Store} store */
export function helpOverlay(store) {
  const close = h('button', { type: 'button', text: 'Close', onclick: () => store.set({ help: false }) });
  const dl = h('dl', { class: 'c-keys' });
  for (const [k, t] of SHORTCUTS) dl.append(h('dt', null, h('kbd', { text: k })), h('dd', { text: t }));
  const box = h('div', { class: 'c-overlay', id: 'help', role: 'dialog', 'aria-modal': 'true', 'aria-labelledby': 'help-title', hidden: true },
    h('div', { class: 'c-card' }, h('h2', { id: 'help-title', text: 'Keyboard shortcuts' }), dl, close));
  box.addEventListener('click', (e) => { if (e.target === box) store.set({ help: false }); });
  store.watch(['help'], (s) => {
    box.hidden = !s.help;
    if (s.help) close.focus();
  });
  return box;
}
