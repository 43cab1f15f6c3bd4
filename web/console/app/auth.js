// @ts-check
/* Sign-in and first-run setup screens. */

import { call, reason } from './http.js';
import { h } from './util.js';

/**
 * @param {(agent: import('./types.js').Agent) => void} done
 * @param {boolean} expired the session ended (say so)
 */
export function loginScreen(done, expired) {
  const email = h('input', { id: 'login-email', type: 'email', name: 'email', autocomplete: 'username', required: true });
  const password = h('input', { id: 'login-password', type: 'password', name: 'password', autocomplete: 'current-password', required: true });
  const error = h('p', { class: 'c-error', role: 'alert', hidden: true });
  const button = h('button', { type: 'submit', class: 'c-primary', text: 'Sign in' });
  const form = h('form', { class: 'c-card c-auth', 'aria-labelledby': 'login-title' },
    h('h1', { id: 'login-title', text: 'Sign in to Livedesk' }),
    expired ? h('p', { class: 'c-info', id: 'session-ended', text: 'Your session ended. Sign in again to continue where you were.' }) : null,
    h('label', { for: 'login-email', text: 'E-mail' }), email,
    h('label', { for: 'login-password', text: 'Password' }), password,
    error, button,
    h('p', { class: 'c-muted' }, 'First start? ', h('a', { href: '/app/setup', text: 'Set up Livedesk' })),
  );
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    button.disabled = true;
    error.hidden = true;
    try {
      const r = await call('/auth/login', { method: 'POST', body: { email: email.value.trim(), password: password.value }, quiet401: true });
      done(r.agent);
    } catch (err) {
      error.textContent = /** @type {any} */ (err).code === 'invalid_credentials' ? 'Wrong e-mail or password.' : reason(err);
      error.hidden = false;
      button.disabled = false;
      password.select();
    }
  });
  queueMicrotask(() => email.focus());
  return h('main', { class: 'c-center' }, form);
}

/** @param {(agent: import('./types.js').Agent) => void} done */
export function setupScreen(done) {
  /** @param {string} id @param {string} label @param {Record<string, any>} props */
  const field = (id, label, props) => [h('label', { for: id, text: label }), h('input', { id, name: id, required: true, ...props })];
  const rows = [
    field('setup-token', 'Setup token (printed by the server on its first start)', { autocomplete: 'off' }),
    field('setup-workspace', 'Workspace name', { value: 'My workspace' }),
    field('setup-name', 'Your name', { autocomplete: 'name' }),
    field('setup-email', 'E-mail', { type: 'email', autocomplete: 'username' }),
    field('setup-password', 'Password (at least 10 characters)', { type: 'password', minLength: 10, autocomplete: 'new-password' }),
  ];
  const error = h('p', { class: 'c-error', role: 'alert', hidden: true });
  const form = h('form', { class: 'c-card c-auth' }, h('h1', { text: 'Set up Livedesk' }),
    h('p', { class: 'c-muted', text: 'Create the workspace and its first admin.' }), ...rows.flat(), error,
    h('button', { type: 'submit', class: 'c-primary', text: 'Create workspace' }),
    h('p', { class: 'c-muted' }, h('a', { href: '/app', text: 'Back to sign-in' })));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const v = (/** @type {string} */ id) => /** @type {HTMLInputElement} */ (form.querySelector('#' + id)).value;
    try {
      const r = await call('/setup', { method: 'POST', quiet401: true, body: {
        token: v('setup-token').trim(), workspace_name: v('setup-workspace').trim(), name: v('setup-name').trim(), email: v('setup-email').trim(), password: v('setup-password'),
      } });
      history.replaceState(null, '', '/app/settings/inboxes');
      done(r.agent);
    } catch (err) {
      const code = /** @type {any} */ (err).code;
      error.textContent = code === 'setup_unavailable' ? 'Setup is not available: the token is wrong, or an admin exists already (sign in instead).' : reason(err);
      error.hidden = false;
    }
  });
  return h('main', { class: 'c-center' }, form);
}
