// @ts-check
/* Sending a file: checks against the inbox's limits, upload with progress, then the message.
 * Loaded on the first file. */

import { ApiError } from '../../shared/client.js';
import { t } from './i18n.js';
import { fileSize } from './attachment.js';

/**
 * fetch cannot report upload progress, hence XMLHttpRequest.
 * @param {string} token @param {string} conversationId @param {File} file @param {(fraction: number) => void} progress
 * @returns {Promise<import('./types.js').AttachmentMeta>}
 */
function post(token, conversationId, file, progress) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', `/api/v1/conversations/${encodeURIComponent(conversationId)}/attachments?name=${encodeURIComponent(file.name)}`);
    xhr.setRequestHeader('Authorization', 'Bearer ' + token);
    xhr.setRequestHeader('Content-Type', file.type || 'application/octet-stream');
    xhr.upload.onprogress = (e) => e.lengthComputable && progress(e.loaded / e.total);
    xhr.onload = () => {
      let data = null;
      try { data = JSON.parse(xhr.responseText); } catch { /* not JSON */ }
      if (xhr.status < 300 && data) resolve(data);
      else reject(new ApiError(xhr.status, data?.code || 'http_' + xhr.status, data?.message || ''));
    };
    xhr.onerror = () => reject(new ApiError(0, 'network', 'network error'));
    xhr.send(file);
  });
}

/** @param {import('./visitor.js').Visitor} v @param {File} file */
export async function attach(v, file) {
  const { store } = v;
  const cfg = store.state.config;
  const name = file.name;
  const tooBig = t('too_big', { name, max: fileSize(cfg.max_attachment_bytes) });
  const badType = t('bad_type', { name });
  if (file.size > cfg.max_attachment_bytes) return store.set({ error: tooBig });
  if (cfg.attachment_types.length && !cfg.attachment_types.includes(file.type)) return store.set({ error: badType });
  store.set({ error: null, upload: { name, progress: 0 } });
  try {
    v.start();
    const id = await v.conversation();
    const meta = await post(await v.session(), id, file, (progress) => store.set({ upload: { name, progress } }));
    v.client.enqueue(id, '', { attachment_id: meta.id, attachment: meta });
  } catch (e) {
    const code = /** @type {any} */ (e).code;
    store.set({ error: code === 'payload_too_large' ? tooBig : code === 'unsupported_media_type' ? badType : t('upload_failed', { name }) });
  } finally {
    store.set({ upload: null });
  }
}
