// @ts-check
/* The composer: Reply or private Note, Enter sends and Shift+Enter breaks the line, `/` at
 * the start picks a canned response (variables filled in), `@` in a note mentions a teammate,
 * emoji, attachments. Typing is told to the visitor only for replies. */

import { expand } from './expand.js';
import { reason, upload } from './http.js';
import { picker } from './picker.js';
import { CLIP, h, icon, SMILE } from './util.js';

const EMOJI = '😀 😃 😄 😁 😊 🙂 😉 😍 🤩 😘 😅 😂 🤣 😇 🤔 🤗 😮 😢 😭 😎 🙏 👍 👎 👌 👏 🙌 👋 💪 🤝 ❤️ 💙 🎉 🥳 🔥 ✨ ⭐ ✅ ❌ ⚠️ 👀 💡 📦 🚚 💳 🕐 📧 📎'.split(' ');

/** @param {import('./store.js').Store} store @param {import('./desk.js').Desk} desk @param {string} id */
export function composer(store, desk, id) {
  let mode = /** @type {'text'|'note'} */ ('text');
  /** Mentioned agents: name → id (kept while "@Name" stays in the text). @type {Map<string, string>} */
  const mentioned = new Map();
  const input = h('textarea', { id: 'composer', rows: 3, 'aria-label': 'Reply', placeholder: 'Reply… (Enter sends, Shift+Enter for a new line, / for canned responses)' });
  const reply = h('button', { type: 'button', role: 'tab', id: 'mode-reply', 'aria-selected': 'true', text: 'Reply', onclick: () => setMode('text') });
  const note = h('button', { type: 'button', role: 'tab', id: 'mode-note', 'aria-selected': 'false', text: 'Private note', onclick: () => setMode('note') });
  const canned = picker({ id: 'canned-picker', label: 'Canned responses' });
  const mentions = picker({ id: 'mention-picker', label: 'Mention a teammate' });
  const emoji = h('div', { class: 'c-emoji', id: 'emoji-panel', hidden: true, role: 'group', 'aria-label': 'Emoji' });
  for (const e of EMOJI) emoji.append(h('button', { type: 'button', text: e, onclick: () => { insert(e); emoji.hidden = true; input.focus(); } }));
  const file = h('input', { type: 'file', id: 'attach-file', hidden: true, onchange: () => { if (file.files?.[0]) attach(file.files[0]); file.value = ''; } });
  const progress = h('span', { class: 'c-muted', id: 'upload-progress' });
  const send = h('button', { type: 'submit', class: 'c-primary', id: 'send', text: 'Send' });
  const form = h('form', { class: 'c-composer', 'data-mode': 'text' },
    h('div', { class: 'c-modes', role: 'tablist', 'aria-label': 'Message kind' }, reply, note),
    canned.el, mentions.el, emoji, input,
    h('div', { class: 'c-composer-bar' },
      h('button', { type: 'button', id: 'emoji-button', 'aria-label': 'Emoji', 'aria-controls': 'emoji-panel', onclick: () => { emoji.hidden = !emoji.hidden; } }, icon(SMILE)),
      h('button', { type: 'button', id: 'attach-button', 'aria-label': 'Attach a file', onclick: () => file.click() }, icon(CLIP)),
      file, progress, h('span', { class: 'c-spacer' }), send));

  /** @param {'text'|'note'} m */
  function setMode(m) {
    mode = m;
    form.dataset.mode = m;
    reply.setAttribute('aria-selected', String(m === 'text'));
    note.setAttribute('aria-selected', String(m === 'note'));
    input.setAttribute('aria-label', m === 'note' ? 'Private note' : 'Reply');
    input.placeholder = m === 'note' ? 'Private note, only your team sees it… (@ to mention)' : 'Reply… (Enter sends, Shift+Enter for a new line, / for canned responses)';
    if (m === 'note') typingOff();
    input.focus();
  }

  /** @param {string} text */
  function insert(text) {
    const { selectionStart: a, selectionEnd: b, value } = input;
    input.value = value.slice(0, a) + text + value.slice(b);
    input.selectionStart = input.selectionEnd = a + text.length;
    input.dispatchEvent(new Event('input'));
  }

  let typingAt = 0;
  /** @type {ReturnType<typeof setTimeout>|undefined} */
  let typingTimer;
  const typingOff = () => {
    clearTimeout(typingTimer);
    if (typingAt) desk.client.typing(id, false);
    typingAt = 0;
  };
  const typingOn = () => {
    if (mode !== 'text') return;
    if (Date.now() - typingAt > 3000) { typingAt = Date.now(); desk.client.typing(id, true); }
    clearTimeout(typingTimer);
    typingTimer = setTimeout(typingOff, 4000);
  };

  const context = () => {
    const s = store.state;
    const c = s.conversations.get(id);
    return { contact: c ? s.contacts.get(c.contact_id) : null, agent: s.me };
  };

  const update = () => {
    const v = input.value;
    const caret = input.selectionStart;
    // `/query` alone at the start: canned responses.
    const slash = /^\/([\w-]*)$/.exec(v.slice(0, caret));
    if (slash && v.indexOf('\n') < 0) {
      const q = slash[1].toLowerCase();
      const list = store.state.canned.filter((c) => c.shortcut.toLowerCase().includes(q) || c.title.toLowerCase().includes(q)).slice(0, 8);
      canned.show(list, (c) => ['/' + c.shortcut, c.title], (c) => {
        input.value = expand(c.body, context());
        canned.hide();
        input.focus();
        input.selectionStart = input.selectionEnd = input.value.length;
      });
    } else canned.hide();
    const at = mode === 'note' ? /(?:^|\s)@([^\s@]{0,30})$/.exec(v.slice(0, caret)) : null;
    if (at) {
      const q = at[1].toLowerCase();
      // Only teammates who can see this conversation: the server refuses a note mentioning anyone else.
      const inbox = store.state.conversations.get(id)?.inbox_id;
      const sees = (/** @type {import('./types.js').Agent} */ a) => a.role !== 'agent' || !inbox || (a.inbox_ids || []).includes(inbox);
      const list = [...store.state.agents.values()].filter((a) => a.id !== store.state.me?.id && sees(a) && a.name.toLowerCase().includes(q)).slice(0, 8);
      mentions.show(list, (a) => [a.name, a.email], (a) => {
        const start = caret - at[1].length - 1;
        input.value = v.slice(0, start) + '@' + a.name + ' ' + v.slice(caret);
        input.selectionStart = input.selectionEnd = start + a.name.length + 2;
        mentioned.set(a.name, a.id);
        mentions.hide();
        input.focus();
      });
    } else mentions.hide();
  };

  input.addEventListener('input', () => {
    update();
    if (input.value.trim()) typingOn();
    else typingOff();
  });
  input.addEventListener('keydown', (e) => {
    if (canned.key(e) || mentions.key(e)) return e.preventDefault();
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
      e.preventDefault();
      submit();
    } else if (e.key === 'Escape') {
      emoji.hidden = true;
      input.blur();
    }
  });
  input.addEventListener('blur', () => setTimeout(() => {
    if (document.activeElement !== input) { canned.hide(); mentions.hide(); }
  }, 150));
  form.addEventListener('submit', (e) => { e.preventDefault(); submit(); });

  function submit() {
    const body = input.value.trim();
    if (!body) return;
    /** @type {string[]} */
    const ids = [];
    for (const [name, agentId] of mentioned) if (body.includes('@' + name) && !ids.includes(agentId)) ids.push(agentId);
    desk.send(id, body, { kind: mode, mentions: mode === 'note' ? ids : [] });
    input.value = '';
    mentioned.clear();
    typingOff();
    canned.hide();
    mentions.hide();
  }

  /** @param {File} f */
  async function attach(f) {
    progress.textContent = 'Uploading ' + f.name + '…';
    try {
      const meta = await upload(id, f, (x) => { progress.textContent = 'Uploading ' + f.name + ' ' + Math.round(x * 100) + '%'; });
      const caption = input.value.trim();
      desk.send(id, caption, { kind: 'text', attachment: meta });
      input.value = '';
      progress.textContent = '';
    } catch (e) {
      const code = /** @type {any} */ (e).code;
      progress.textContent = code === 'payload_too_large' ? f.name + ' is too large.' : code === 'unsupported_media_type' ? f.name + ': this type of file is not accepted.' : 'Upload failed: ' + reason(e);
    }
  }

  // Paste or drop a file to attach it.
  input.addEventListener('paste', (e) => { const f = e.clipboardData?.files?.[0]; if (f) { e.preventDefault(); attach(f); } });
  form.addEventListener('dragover', (e) => e.preventDefault());
  form.addEventListener('drop', (e) => { const f = e.dataTransfer?.files?.[0]; if (f) { e.preventDefault(); attach(f); } });

  const offNote = store.on('compose-note', () => setMode('note'));
  return { el: form, focus: () => input.focus(), unmount: () => { typingOff(); offNote(); } };
}
