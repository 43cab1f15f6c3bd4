// @ts-check
/* An attachment inside a message: images are previewed, other files are downloaded. Loaded
 * when the first attachment is shown. */

import { CLIP, h, icon } from './dom.js';
import { t } from './i18n.js';


/**
 * @param {import('./types.js').AttachmentMeta} meta
 * @param {import('./types.js').Actions} actions
 */
export function attachment(meta, actions) {
  const label = t('download', { name: meta.name });
  const save = async () => {
    const a = h('a', { href: await actions.attachmentUrl(meta), download: meta.name });
    document.body.append(a);
    a.click();
    a.remove();
  };
  if (meta.content_type.startsWith('image/')) {
    const img = h('img', { class: 'ld-image', alt: meta.name });
    actions.attachmentUrl(meta).then((url) => { img.src = url; }, () => img.classList.add('ld-broken'));
    return h('button', { type: 'button', class: 'ld-image-btn', title: label, 'aria-label': label, onclick: save }, img);
  }
  return h(
    'button',
    { type: 'button', class: 'ld-file', 'aria-label': label + ', ' + fileSize(meta.size), onclick: save },
    icon(CLIP),
    h('span', { class: 'ld-file-name', text: meta.name }),
    h('span', { class: 'ld-file-size', text: fileSize(meta.size) }),
  );
}

/** "1.5 MB". @param {number} bytes */
export function fileSize(bytes) {
  const units = ['B', 'KB', 'MB', 'GB'];
  let i = 0;
  while (bytes >= 1000 && i < units.length - 1) {
    bytes /= 1000;
    i++;
  }
  return (i ? bytes.toFixed(bytes < 10 ? 1 : 0) : bytes) + ' ' + units[i];
}
