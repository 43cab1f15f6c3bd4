// @ts-check
/* Paths under /app: /app/conversations[/ID], /app/visitors, /app/settings[/SECTION], /app/setup. */

/** @returns {import('./types.js').Route} */
export function parse(path = location.pathname) {
  const parts = path.replace(/^\/app\/?/, '').split('/').filter(Boolean).map(decodeURIComponent);
  if (parts[0] === 'visitors') return { name: 'visitors', id: null, section: null };
  if (parts[0] === 'settings') return { name: 'settings', id: parts[2] || null, section: parts[1] || 'account' };
  if (parts[0] === 'setup') return { name: 'setup', id: null, section: null };
  return { name: 'conversations', id: parts[0] === 'conversations' ? parts[1] || null : null, section: null };
}

/** @param {import('./types.js').Route} r */
export function path(r) {
  if (r.name === 'visitors') return '/app/visitors';
  if (r.name === 'settings') return '/app/settings/' + (r.section || 'account') + (r.id ? '/' + encodeURIComponent(r.id) : '');
  if (r.name === 'setup') return '/app/setup';
  return '/app/conversations' + (r.id ? '/' + encodeURIComponent(r.id) : '');
}

/** @param {import('./store.js').Store} store */
export function startRouter(store) {
  addEventListener('popstate', () => store.set({ route: parse() }));
  // Links inside the app navigate without a reload.
  document.addEventListener('click', (e) => {
    const a = /** @type {Element} */ (e.target).closest?.('a[href^="/app"]');
    if (!a || e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey) return;
    e.preventDefault();
    go(store, parse(new URL(/** @type {HTMLAnchorElement} */ (a).href).pathname));
  });
}

/** @param {import('./store.js').Store} store @param {import('./types.js').Route} r */
export function go(store, r) {
  const p = path(r);
  if (p !== location.pathname) history.pushState(null, '', p);
  store.set({ route: r });
}
