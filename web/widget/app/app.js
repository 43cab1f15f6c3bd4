// @ts-check
/* Puts the panel together and owns its keyboard and drop behaviour. The pre-chat and away
 * forms load only when they are needed. */

import { composer, notice } from './composer.js';
import { conversation } from './conversation.js';
import { contrastText, h, later } from './dom.js';
import { banner, header } from './header.js';
import { t } from './i18n.js';

/**
 * @param {HTMLElement} root
 * @param {import('./store.js').Store} store
 * @param {import('./types.js').Actions} actions
 */
export function mount(root, store, actions) {
  const forms = h('div');
  const drop = h('div', { class: 'ld-drop', hidden: true, text: t('drop') });
  const main = h('main', { class: 'ld-main' }, banner(store), conversation(store, actions), forms, notice(store, actions), composer(store, actions), drop);
  root.replaceChildren(header(store, actions), main);
  let prechat = false;
  let away = false;
  store.watch(['config', 'prechat'], (s) => {
    root.style.setProperty('--ld-accent', s.config.color);
    root.style.setProperty('--ld-on-accent', contrastText(s.config.color));
    if (s.prechat && !prechat) {
      prechat = true;
      forms.append(later(async () => (await import('./prechat.js')).prechat(store, actions)));
    }
    if (!s.config.agents_online && !away) {
      away = true;
      forms.append(later(async () => (await import('./away.js')).away(store, actions)));
    }
  });

  // Tab stays inside the panel; Escape closes it.
  root.addEventListener('keydown', (e) => {
    if (e.key === 'Escape') return actions.close();
    if (e.key !== 'Tab') return;
    const all = [...root.querySelectorAll('a[href],button,input,textarea')].filter((el) => /** @type {HTMLElement} */ (el).offsetParent && !el.matches(':disabled,[tabindex="-1"]'));
    const edge = /** @type {HTMLElement} */ (e.shiftKey ? all[0] : all.at(-1));
    if (document.activeElement === edge) {
      e.preventDefault();
      /** @type {HTMLElement} */ (e.shiftKey ? all.at(-1) : all[0]).focus();
    }
  });

  // A file dragged onto the panel is sent.
  let depth = 0;
  /** @param {DragEvent} e */
  const files = (e) => !!e.dataTransfer?.types.includes('Files');
  main.addEventListener('dragenter', (e) => {
    if (files(e)) drop.hidden = !++depth;
  });
  main.addEventListener('dragleave', () => {
    depth = Math.max(0, depth - 1);
    drop.hidden = !depth;
  });
  main.addEventListener('dragover', (e) => { if (files(e)) e.preventDefault(); });
  main.addEventListener('drop', (e) => {
    e.preventDefault();
    depth = 0;
    drop.hidden = true;
    const f = e.dataTransfer?.files[0];
    if (f) actions.attach(f);
  });
}

/** Puts the keyboard where the visitor will type. @param {HTMLElement} root */
export function focusFirst(root) {
  const el = /** @type {HTMLElement|null} */ (root.querySelector('.ld-prechat:not([hidden]) input, #ld-input'));
  el?.focus({ preventScroll: true });
}
