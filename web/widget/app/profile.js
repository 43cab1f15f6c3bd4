// @ts-check
/* Who the visitor is: the host page's identify/setAttributes, the pre-chat form and the away
 * form's e-mail. Loaded when first needed. */

import { t } from './i18n.js';
import { get, put } from './store.js';

/** @typedef {import('./visitor.js').Visitor} Visitor */

/**
 * A signed identity (JWT) is checked by the server, which may switch this browser to the
 * contact that person already has, history included. Without one, only a display name and
 * e-mail are set, on the anonymous contact, unverified.
 * @param {Visitor} v
 */
export async function applyProfile(v) {
  const said = v.said;
  if (said.jwt) {
    const jwt = said.jwt;
    said.jwt = null;
    said.profile = {};
    try {
      /** @type {{visitor_token: string}} */
      const r = await v.call('/widget/identify', 'POST', { token: jwt });
      if (r.visitor_token !== v.token) {
        v.setToken(r.visitor_token);
        v.client.reset();
        if (v.loaded) {
          await v.load();
          v.client.reconnect();
        }
      }
    } catch (e) {
      console.warn('Livedesk: identify was refused:', /** @type {any} */ (e).code);
    }
  }
  const patch = { ...said.profile };
  if (Object.keys(said.attributes).length) patch.attributes = said.attributes;
  said.profile = {};
  said.attributes = {};
  const sig = JSON.stringify(patch);
  if (sig === '{}' || get(v.key('profile')) === sig) return;
  await v.call('/widget/contact', 'PATCH', patch);
  put(v.key('profile'), sig);
}

/** @param {Visitor} v @param {Record<string, string>} values */
export async function submitPrechat(v, values) {
  /** @type {Record<string, any>} */
  const patch = { attributes: {} };
  for (const [k, val] of Object.entries(values)) {
    if (k === 'name' || k === 'email') patch[k] = val;
    else patch.attributes[k] = val;
  }
  try {
    v.start();
    await v.call('/widget/contact', 'PATCH', patch);
    put(v.key('prechat'), '1');
    if (patch.email) put(v.key('email'), patch.email);
    v.store.set({ prechat: false, error: null, email: patch.email || v.store.state.email });
  } catch (e) {
    v.store.set({ error: /** @type {any} */ (e).message || t('unavailable') });
  }
}

/** @param {Visitor} v @param {string} email */
export async function saveEmail(v, email) {
  try {
    v.start();
    await v.call('/widget/contact', 'PATCH', { email });
    put(v.key('email'), email);
    v.store.set({ email, error: null });
  } catch (e) {
    v.store.set({ error: /** @type {any} */ (e).code === 'validation_failed' ? t('bad_email') : t('unavailable') });
  }
}
