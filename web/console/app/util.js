// @ts-check
/* Small view helpers: elements (text only, never HTML), names, times. */

export { h, format, safeUrl, icon, CLIP } from '../../widget/app/dom.js';

export const BELL = 'M12 22a2.5 2.5 0 0 0 2.45-2h-4.9A2.5 2.5 0 0 0 12 22zm7-6V11a7 7 0 0 0-5.5-6.84V3.5a1.5 1.5 0 0 0-3 0v.66A7 7 0 0 0 5 11v5l-2 2v1h18v-1z';
export const CLOCK = 'M12 2a10 10 0 1 0 0 20 10 10 0 0 0 0-20zm0 18a8 8 0 1 1 0-16 8 8 0 0 1 0 16zm.5-13H11v6l5.2 3.1.8-1.3-4.5-2.6z';
export const SMILE = 'M12 2a10 10 0 1 0 0 20 10 10 0 0 0 0-20zm0 18a8 8 0 1 1 0-16 8 8 0 0 1 0 16zm-3.5-9a1.5 1.5 0 1 0 0-3 1.5 1.5 0 0 0 0 3zm7 0a1.5 1.5 0 1 0 0-3 1.5 1.5 0 0 0 0 3zM12 17.5a5.5 5.5 0 0 0 5.1-3.5H6.9a5.5 5.5 0 0 0 5.1 3.5z';

/** @param {import('./types.js').Contact|undefined|null} c @param {string} [id] */
export function contactName(c, id) {
  if (c?.name) return c.name;
  if (c?.email) return c.email;
  const key = (c?.id || id || '').replace(/-/g, '');
  return 'Visitor ' + key.slice(-4).toUpperCase();
}

/** "3m", "2h", "4d" since `ms`. @param {number} ms @param {number} [now] */
export function since(ms, now = Date.now()) {
  const s = Math.max(0, Math.round((now - ms) / 1000));
  if (s < 60) return s + 's';
  if (s < 3600) return Math.floor(s / 60) + 'm';
  if (s < 86400) return Math.floor(s / 3600) + 'h';
  return Math.floor(s / 86400) + 'd';
}

/** @param {number} ms */
export function clock(ms) {
  const d = new Date(ms);
  const today = new Date().toDateString() === d.toDateString();
  return today ? d.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' }) : d.toLocaleString([], { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' });
}

/** Removes every child. @param {Element} el */
export function clear(el) {
  while (el.firstChild) el.firstChild.remove();
}

/** A browser and system name from a user agent string. @param {string|null|undefined} ua */
export function describeAgent(ua) {
  if (!ua) return null;
  const browser = /Edg\/(\d+)/.exec(ua) ? 'Edge ' + /Edg\/(\d+)/.exec(ua)?.[1]
    : /Firefox\/(\d+)/.exec(ua) ? 'Firefox ' + /Firefox\/(\d+)/.exec(ua)?.[1]
    : /Chrom(?:e|ium)\/(\d+)/.exec(ua) ? 'Chrome ' + /Chrom(?:e|ium)\/(\d+)/.exec(ua)?.[1]
    : /Version\/(\d+).*Safari/.exec(ua) ? 'Safari ' + /Version\/(\d+)/.exec(ua)?.[1] : 'Browser';
  const os = /Windows/.test(ua) ? 'Windows' : /Android/.test(ua) ? 'Android' : /iPhone|iPad/.test(ua) ? 'iOS' : /Mac OS X/.test(ua) ? 'macOS' : /Linux/.test(ua) ? 'Linux' : 'Unknown system';
  return browser + ' on ' + os;
}

/** The time now in an IANA zone, or null. @param {string|null|undefined} tz */
export function localTime(tz) {
  if (!tz) return null;
  try {
    return new Date().toLocaleTimeString([], { timeZone: tz, hour: '2-digit', minute: '2-digit' }) + ' (' + tz + ')';
  } catch {
    return null;
  }
}

/** Whether keyboard focus is in something that takes text. */
export function typingInField() {
  const el = document.activeElement;
  return !!el && (el.tagName === 'INPUT' || el.tagName === 'TEXTAREA' || el.tagName === 'SELECT' || /** @type {HTMLElement} */ (el).isContentEditable);
}

export const STATUS_TEXT = { open: 'Open', pending: 'Pending', snoozed: 'Snoozed', resolved: 'Resolved' };
export const PRIORITIES = /** @type {const} */ (['none', 'low', 'medium', 'high', 'urgent']);
