// @ts-check
/* The console's single store: `state` (replaced value by value, never mutated in place, so a
 * watcher can compare), watchers per key, and explicit events for things that happen once
 * (a message arrived, a notification). */

/** @typedef {import('./types.js').State} State */

export class Store {
  /** @param {State} initial */
  constructor(initial) {
    this.state = initial;
    /** @type {Map<string, Function[]>} */
    this.subs = new Map();
    /** @type {Map<string, Function[]>} */
    this.handlers = new Map();
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
    for (const fn of fns) {
      try { fn(this.state); } catch (e) { console.error(e); }
    }
  }

  /**
   * Calls `fn` now and whenever one of `keys` changes. Returns the way to stop.
   * @param {(keyof State)[]} keys
   * @param {(s: State) => void} fn
   */
  watch(keys, fn) {
    for (const k of keys) this.subs.set(k, [...(this.subs.get(k) || []), fn]);
    fn(this.state);
    return () => {
      for (const k of keys) this.subs.set(k, (this.subs.get(k) || []).filter((x) => x !== fn));
    };
  }

  /**
   * Events: `message` {message, live}, `notice` Notice, `sent` {conversation_id}.
   * @param {string} type @param {(detail: any) => void} fn
   */
  on(type, fn) {
    this.handlers.set(type, [...(this.handlers.get(type) || []), fn]);
    return () => this.handlers.set(type, (this.handlers.get(type) || []).filter((x) => x !== fn));
  }

  /** @param {string} type @param {any} detail */
  emit(type, detail) {
    for (const fn of this.handlers.get(type) || []) {
      try { fn(detail); } catch (e) { console.error(e); }
    }
  }

  // ---- helpers that replace one entry of a Map-valued key ----

  /**
   * @template V
   * @param {'agents'|'conversations'|'contacts'|'messages'|'hasEarlier'|'typing'|'visitors'} key
   * @param {string} id
   * @param {V|null} value null deletes
   */
  put(key, id, value) {
    const m = new Map(/** @type {Map<string, any>} */ (this.state[key]));
    if (value == null) m.delete(id);
    else m.set(id, value);
    this.set({ [key]: m });
  }
}

/** localStorage, or memory where it is blocked. */
const memory = new Map();
export const storage = {
  /** @param {string} k */
  get(k) {
    try { return localStorage.getItem(k); } catch { return memory.get(k) ?? null; }
  },
  /** @param {string} k @param {string|null} v */
  put(k, v) {
    try {
      if (v == null) localStorage.removeItem(k);
      else localStorage.setItem(k, v);
    } catch {
      if (v == null) memory.delete(k);
      else memory.set(k, v);
    }
  },
};
