// @ts-check
/* The bottom of the panel: errors (announced as alerts) and upload progress, then the text box
 * with attach, emoji and send. Enter sends, Shift+Enter is a new line. */

import { CLIP, h, icon } from './dom.js';
import { t } from './i18n.js';

const SEND = 'M3 20.5v-7l12-1.5-12-1.5v-7L22 12z';
const SMILE = 'M15.5 11a1.5 1.5 0 1 0 0-3 1.5 1.5 0 0 0 0 3zm-7 0a1.5 1.5 0 1 0 0-3 1.5 1.5 0 0 0 0 3zM12 17.5c2.3 0 4.3-1.5 5.1-3.5H6.9c.8 2 2.8 3.5 5.1 3.5zM12 2a10 10 0 1 0 0 20 10 10 0 0 0 0-20zm0 18a8 8 0 1 1 0-16 8 8 0 0 1 0 16z';

/**
 * @param {import('./store.js').Store} store
 * @param {import('./types.js').Actions} actions
 */
export function composer(store, actions) {
  const input = h('textarea', { class: 'ld-input', id: 'ld-input', rows: 1, placeholder: t('placeholder'), 'aria-label': t('message') });
  const file = h('input', { type: 'file', class: 'ld-file-input', tabIndex: -1, 'aria-hidden': 'true' });
  const grow = () => {
    input.style.height = 'auto';
    input.style.height = Math.min(input.scrollHeight, 120) + 'px';
  };
  const submit = () => {
    const body = input.value.trim();
    if (!body) return;
    actions.send(body);
    input.value = '';
    grow();
    input.focus();
  };
  /** @type {HTMLElement|null} */
  let panel = null;
  const emoji = h('button', {
    type: 'button',
    class: 'ld-icon-btn',
    'aria-label': t('emoji'),
    'aria-expanded': 'false',
    'aria-controls': 'ld-emoji',
    onclick: () => toggle(emoji.getAttribute('aria-expanded') !== 'true'),
  }, icon(SMILE));
  /** @param {boolean} on */
  const toggle = async (on) => {
    if (!panel) {
      const { emojiPanel } = await import('./emoji.js');
      panel = emojiPanel((e) => {
        const at = input.selectionStart;
        input.setRangeText(e, at, input.selectionEnd, 'end');
        toggle(false);
        input.focus();
      }, () => { toggle(false); emoji.focus(); });
      el.prepend(panel);
    }
    panel.hidden = !on;
    emoji.setAttribute('aria-expanded', String(on));
    if (on) /** @type {HTMLElement} */ (panel.firstElementChild).focus();
  };
  const form = h(
    'form',
    { class: 'ld-composer', onsubmit: (/** @type {Event} */ e) => { e.preventDefault(); submit(); } },
    h('button', { type: 'button', class: 'ld-icon-btn', 'aria-label': t('attach'), onclick: () => file.click() }, icon(CLIP)),
    input,
    emoji,
    h('button', { type: 'submit', class: 'ld-icon-btn ld-send', 'aria-label': t('send') }, icon(SEND)),
    file,
  );
  input.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
      e.preventDefault();
      submit();
    }
  });
  input.addEventListener('input', () => {
    grow();
    actions.typing(input.value);
  });
  input.addEventListener('paste', (e) => {
    const f = e.clipboardData?.files[0];
    if (f) {
      e.preventDefault();
      actions.attach(f);
    }
  });
  file.addEventListener('change', () => {
    if (file.files?.[0]) actions.attach(file.files[0]);
    file.value = '';
  });
  store.watch(['config'], (s) => { file.accept = s.config.attachment_types.join(','); });
  const el = h('div', { class: 'ld-compose-wrap' }, form);
  store.watch(['prechat', 'conversation', 'fatal'], (s) => {
    el.hidden = s.prechat || s.conversation?.status === 'resolved' || !!s.fatal;
  });
  return el;
}

/** @param {import('./store.js').Store} store @param {import('./types.js').Actions} actions */
export function notice(store, actions) {
  const error = h('div', { class: 'ld-error', role: 'alert' });
  const label = h('span');
  const bar = h('progress', { max: 1, value: 0 });
  const upload = h('div', { class: 'ld-upload' }, label, bar);
  store.watch(['error', 'upload'], (s) => {
    error.replaceChildren();
    if (s.error) {
      error.append(h('span', { text: s.error }), h('button', { type: 'button', class: 'ld-icon-btn', 'aria-label': t('dismiss'), text: '✕', onclick: actions.dismissError }));
    }
    upload.hidden = !s.upload;
    if (s.upload) {
      label.textContent = t('uploading', { name: s.upload.name });
      bar.value = s.upload.progress;
      bar.setAttribute('aria-label', label.textContent);
    }
  });
  return h('div', { class: 'ld-notice' }, error, upload);
}
