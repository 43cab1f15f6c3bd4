// @ts-check
/* A small picker of common emoji, in the system's own glyphs. Loaded on first use. */

import { h } from './dom.js';
import { t } from './i18n.js';

const SET = '😀 😂 😊 😍 🤔 😅 😢 😮 😎 🙏 👍 👎 👏 🙌 👋 💪 ❤️ 🎉 🔥 ✅ ❌ ⭐ 👀 💡'.split(' ');

/**
 * @param {(emoji: string) => void} pick
 * @param {() => void} close
 */
export function emojiPanel(pick, close) {
  const panel = h('div', { class: 'ld-emoji', id: 'ld-emoji', role: 'group', 'aria-label': t('emoji') });
  for (const e of SET) panel.append(h('button', { type: 'button', class: 'ld-emoji-item', text: e, onclick: () => pick(e) }));
  panel.addEventListener('keydown', (e) => {
    if (e.key === 'Escape') {
      e.stopPropagation();
      close();
    }
  });
  return panel;
}
