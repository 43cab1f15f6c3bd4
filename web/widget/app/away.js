// @ts-check
/** While no agent is online: ask for an e-mail address so the reply can reach the visitor. */

import { h, isEmail } from './dom.js';
import { t } from './i18n.js';

/**
 * @param {import('./store.js').Store} store
 * @param {import('./types.js').Actions} actions
 */
export function away(store, actions) {
  const input = h('input', { id: 'ld-away-email', type: 'email', autocomplete: 'email', required: true, 'aria-describedby': 'ld-away-e' });
  const error = h('span', { class: 'ld-field-error', id: 'ld-away-e' });
  const form = h(
    'form',
    { class: 'ld-form ld-away', novalidate: true },
    h('div', { class: 'ld-field ld-inline' }, h('label', { htmlFor: input.id, text: t('your_email') }), input, h('button', { type: 'submit', class: 'ld-btn', text: t('save') })),
    error,
  );
  const thanks = h('p', { class: 'ld-away-thanks' });
  const el = h('div', { class: 'ld-away-wrap' }, form, thanks);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const v = input.value.trim();
    const bad = !isEmail(v);
    error.textContent = bad ? t('bad_email') : '';
    input.setAttribute('aria-invalid', String(bad));
    if (!bad) await actions.saveEmail(v);
  });
  store.watch(['config', 'email', 'prechat', 'conversation'], (s) => {
    el.hidden = s.config.agents_online || s.prechat || s.conversation?.status === 'resolved';
    form.hidden = !!s.email;
    thanks.hidden = !s.email;
    thanks.textContent = s.email ? t('email_saved', { email: s.email }) : '';
  });
  return el;
}
