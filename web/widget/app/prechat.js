// @ts-check
/* The pre-chat form: the inbox's fields, shown before the first conversation starts. */

import { h, isEmail } from './dom.js';
import { t } from './i18n.js';

/**
 * @param {import('./store.js').Store} store
 * @param {import('./types.js').Actions} actions
 */
export function prechat(store, actions) {
  const form = h('form', { class: 'ld-form ld-prechat', hidden: true, novalidate: true });
  /** @type {{field: import('./types.js').PrechatField, input: HTMLInputElement, error: HTMLElement}[]} */
  let rows = [];
  store.watch(['config'], (s) => {
    rows = s.config.prechat_fields.map((field, i) => {
      const id = 'ld-f' + i;
      const input = h('input', { id, name: field.key, type: field.kind === 'email' ? 'email' : 'text', required: field.required, autocomplete: field.kind === 'email' ? 'email' : field.key === 'name' ? 'name' : 'off', 'aria-describedby': id + '-e' });
      return { field, input, error: h('span', { class: 'ld-field-error', id: id + '-e' }) };
    });
    form.replaceChildren(
      h('p', { text: t('prechat') }),
      ...rows.map((r) => h('div', { class: 'ld-field' }, h('label', { htmlFor: r.input.id, text: r.field.label + (r.field.required ? ' *' : '') }), r.input, r.error)),
      h('button', { type: 'submit', class: 'ld-btn', text: t('start') }),
    );
  });
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    /** @type {Record<string, string>} */
    const values = {};
    /** @type {HTMLInputElement|null} */
    let bad = null;
    for (const { field, input, error } of rows) {
      const v = input.value.trim();
      const msg = field.required && !v ? t('required', { field: field.label }) : v && field.kind === 'email' && !isEmail(v) ? t('bad_email') : '';
      error.textContent = msg;
      input.setAttribute('aria-invalid', String(!!msg));
      if (msg) bad ||= input;
      if (v) values[field.key] = v;
    }
    if (bad) {
      bad.focus();
      return;
    }
    await actions.submitPrechat(values);
  });
  store.watch(['prechat'], (s) => { form.hidden = !s.prechat; });
  if (store.state.open) setTimeout(() => rows[0]?.input.focus());
  return form;
}
