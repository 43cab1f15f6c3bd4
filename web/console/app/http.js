// @ts-check
/* /api/v1 with the session cookie (the shared `api()` omits credentials: it is the widget's). */

import { ApiError } from '../../shared/client.js';

export { ApiError };

/** Called on any 401 but sign-in's: the session ended. @type {() => void} */
let onUnauthorized = () => {};
/** @param {() => void} fn */
export function whenUnauthorized(fn) {
  onUnauthorized = fn;
}

/**
 * @param {string} path under /api/v1, e.g. `/conversations`
 * @param {{method?: string, body?: any, quiet401?: boolean}} [opts]
 * @returns {Promise<any>}
 */
export async function call(path, opts = {}) {
  /** @type {Record<string, string>} */
  const headers = { Accept: 'application/json' };
  let body;
  if (opts.body !== undefined) {
    headers['Content-Type'] = 'application/json';
    body = JSON.stringify(opts.body);
  }
  let res;
  try {
    res = await fetch('/api/v1' + path, { method: opts.method || 'GET', headers, body, credentials: 'same-origin' });
  } catch (e) {
    throw new ApiError(0, 'network', String(e));
  }
  const text = await res.text();
  let data = null;
  try { data = text ? JSON.parse(text) : null; } catch { /* not JSON */ }
  if (!res.ok) {
    if (res.status === 401 && !opts.quiet401) onUnauthorized();
    throw new ApiError(res.status, data?.code || 'http_' + res.status, data?.message || res.statusText, data?.retry_after_ms);
  }
  return data;
}

/** Like `call`, but an endpoint the server does not have (404/405) gives `fallback`. @param {string} path @param {any} fallback */
export async function optional(path, fallback) {
  try {
    return await call(path);
  } catch (e) {
    if (e instanceof ApiError && (e.status === 404 || e.status === 405)) return fallback;
    throw e;
  }
}

/**
 * Uploads a file into a conversation (XMLHttpRequest for progress; the cookie goes along).
 * @param {string} conversationId @param {File} file @param {(fraction: number) => void} progress
 * @returns {Promise<import('../../shared/protocol.js').AttachmentMeta>}
 */
export function upload(conversationId, file, progress) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', `/api/v1/conversations/${encodeURIComponent(conversationId)}/attachments?name=${encodeURIComponent(file.name)}`);
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

/** A readable sentence for an error. @param {unknown} e */
export function reason(e) {
  if (e instanceof ApiError) {
    if (e.code === 'network') return 'The server cannot be reached.';
    if (e.code === 'forbidden') return 'You are not allowed to do that.';
    return e.message || e.code;
  }
  return String(e);
}
