// @ts-check
/**
 * postMessage with the host page. Messages go only to the host's origin and are accepted only
 * from the parent window at that origin. What the host hears is listed in docs/widget.md:
 * `ready`, `open`, `unread` counts and `message` ({id, author kind}) — never message text.
 */

/** The host page's origin: the browser's record of it, else the loader's `host` parameter. */
export function hostOrigin() {
  const told = location.ancestorOrigins?.[0] || new URLSearchParams(location.search).get('host') || '';
  try {
    return new URL(told).origin === told ? told : '';
  } catch {
    return '';
  }
}

export class Bridge {
  /** @param {string} origin */
  constructor(origin) {
    this.origin = origin;
    /** @type {Record<string, (data: any) => void>} */
    this.handlers = {};
    addEventListener('message', (e) => {
      const m = e.data;
      if (!this.origin || e.origin !== this.origin || e.source !== parent || !m || m.livedesk !== 1) return;
      const fn = Object.hasOwn(this.handlers, m.type) ? this.handlers[m.type] : null;
      fn?.(m.data);
    });
  }

  /** @param {string} type @param {(data: any) => void} fn */
  on(type, fn) {
    this.handlers[type] = fn;
  }

  /** @param {'ready'|'open'|'unread'|'message'} type @param {Record<string, any>} data */
  post(type, data) {
    if (this.origin && parent !== window) parent.postMessage({ livedesk: 1, type, data }, this.origin);
  }
}
