// @ts-check
/* Building the DOM. Text goes in as text nodes; there is no way to pass HTML. What people
 * type gets light formatting: links (http, https, mailto only) and *bold* / _italic_. */

/**
 * `props`: `class`, `text`, `on<event>` handlers, DOM properties (`hidden`, `type`…), else attributes.
 * @template {keyof HTMLElementTagNameMap} K
 * @param {K} tag
 * @param {Record<string, any>|null} [props]
 * @param {...(Node|string|null|undefined|false)} kids
 * @returns {HTMLElementTagNameMap[K]}
 */
export function h(tag, props, ...kids) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(props || {})) {
    if (v == null || v === false) continue;
    if (k === 'class') el.className = v;
    else if (k === 'text') el.textContent = v;
    else if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (k in el) /** @type {any} */ (el)[k] = v;
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of kids) if (c) el.append(c);
  return el;
}

/** An inline SVG icon from one path. @param {string} d */
export function icon(d) {
  const ns = 'http://www.w3.org/2000/svg';
  const svg = document.createElementNS(ns, 'svg');
  const p = document.createElementNS(ns, 'path');
  svg.setAttribute('viewBox', '0 0 24 24');
  svg.setAttribute('aria-hidden', 'true');
  svg.setAttribute('class', 'ld-icon');
  p.setAttribute('d', d);
  svg.append(p);
  return svg;
}

/**
 * A placeholder that becomes the element a lazily imported module builds.
 * @param {() => Promise<Element>} load
 */
export function later(load) {
  const slot = h('div', { hidden: true });
  load().then((el) => slot.replaceWith(el), (e) => console.warn('Livedesk:', e));
  return slot;
}

/** A plausible e-mail address (the server validates for real). @param {string} s */
export const isEmail = (s) => /^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(s);

export const CLIP = 'M16.5 6v11.5a4 4 0 0 1-8 0V5a2.5 2.5 0 0 1 5 0v10.5a1 1 0 0 1-2 0V6H10v9.5a2.5 2.5 0 0 0 5 0V5a4 4 0 0 0-8 0v12.5a5.5 5.5 0 0 0 11 0V6z';

const LINK = /\b(?:https?:\/\/|mailto:|www\.)[^\s<>"]+/gi;
const EMPHASIS = /(^|[\s(])([*_])(?=\S)([^*_\n]*?\S)\2(?=$|[\s.,;:!?)])/g;

/**
 * The URL a link may point to, or null.
 * @param {string} raw
 */
export function safeUrl(raw) {
  try {
    const url = new URL(raw.startsWith('www.') ? 'https://' + raw : raw);
    return ['http:', 'https:', 'mailto:'].includes(url.protocol) ? url.href : null;
  } catch {
    return null;
  }
}

/** @param {string} text @param {DocumentFragment} out */
function emphasis(text, out) {
  let at = 0;
  for (const m of text.matchAll(EMPHASIS)) {
    const start = /** @type {number} */ (m.index) + m[1].length;
    out.append(text.slice(at, start));
    const el = document.createElement(m[2] === '*' ? 'strong' : 'em');
    el.textContent = m[3];
    out.append(el);
    at = start + m[3].length + 2;
  }
  out.append(text.slice(at));
}

/**
 * @param {string} body
 * @returns {DocumentFragment}
 */
export function format(body) {
  const out = document.createDocumentFragment();
  let at = 0;
  for (const m of body.matchAll(LINK)) {
    let raw = m[0].replace(/[.,;:!?'")\]]+$/, '');
    const start = /** @type {number} */ (m.index);
    const href = safeUrl(raw);
    if (!href) continue;
    emphasis(body.slice(at, start), out);
    const a = document.createElement('a');
    a.href = href;
    a.target = '_blank';
    a.rel = 'noopener noreferrer nofollow';
    a.textContent = raw;
    out.append(a);
    at = start + raw.length;
  }
  emphasis(body.slice(at), out);
  return out;
}

/** Black or white, whichever reads better on `hex` (WCAG relative luminance). @param {string} hex */
export function contrastText(hex) {
  const n = parseInt(hex.slice(1), 16);
  const lin = (/** @type {number} */ c) => {
    const s = c / 255;
    return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
  };
  const l = 0.2126 * lin((n >> 16) & 255) + 0.7152 * lin((n >> 8) & 255) + 0.0722 * lin(n & 255);
  return (l + 0.05) / 0.05 > 1.05 / (l + 0.05) ? '#000000' : '#ffffff';
}

/** A `#rrggbb` colour, or the default. @param {unknown} c */
export function safeColor(c) {
  return typeof c === 'string' && /^#[0-9a-f]{6}$/i.test(c) ? c : '#1f6feb';
}
