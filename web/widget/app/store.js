// @ts-check
/* State: the widget's single store, and what it keeps in the browser's storage. */

/** @typedef {import('./types.js').State} State */

/**
 * One state object. Components read `store.state` and watch the keys they render; `set`
 * replaces values (never mutates them) and calls each affected watcher once.
 */
export class Store {
  /** @param {State} initial */
  constructor(initial) {
    this.state = initial;
    /** @type {Map<string, Function[]>} */
    this.subs = new Map();
  }

  /** @param {Partial<State>} patch */
  set(patch) {
    const fns = new Set();
    const s = /** @type {any} */ (this.state);
    for (const [k, v] of Object.entries(patch)) {
      if (s[k] !== v) {
        s[k] = v;
        for (const fn of this.subs.get(k) || []) fns.add(fn);
      }
    }
    for (const fn of fns) fn(this.state);
  }

  /**
   * Calls `fn` now and whenever one of `keys` changes.
   * @param {(keyof State)[]} keys
   * @param {(s: State) => void} fn
   */
  watch(keys, fn) {
    for (const k of keys) this.subs.set(k, [...(this.subs.get(k) || []), fn]);
    fn(this.state);
  }
}

/** @type {Map<string, string>} */
const memory = new Map();

/**
 * The Livedesk origin's localStorage (browsers partition it per host site). Where it is
 * blocked, memory: the widget works, but forgets the visitor on the next page.
 * @type {Pick<Storage, 'getItem'|'setItem'|'removeItem'>}
 */
export const storage = (() => {
  try {
    localStorage.setItem('livedesk', '1');
    return localStorage;
  } catch {
    return { getItem: (k) => memory.get(k) ?? null, setItem: (k, v) => void memory.set(k, v), removeItem: (k) => void memory.delete(k) };
  }
})();

export const get = (/** @type {string} */ key) => storage.getItem(key);

/** @param {string} key @param {string|null} value null removes */
export function put(key, value) {
  try {
    if (value == null) storage.removeItem(key);
    else storage.setItem(key, value);
  } catch { /* full */ }
}
