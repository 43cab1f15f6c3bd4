// @ts-check
/* The console's entry: who is signed in, then the screens. */

import { loginScreen, setupScreen } from './auth.js';
import { Desk } from './desk.js';
import { call, whenUnauthorized } from './http.js';
import { makeClient } from './live.js';
import { parse, startRouter } from './router.js';
import { loadFilter, loadSettings, saveFilter } from './settings-store.js';
import { Store } from './store.js';
import { clear } from './util.js';

const root = /** @type {HTMLElement} */ (document.getElementById('app'));

/** @returns {import('./types.js').State} */
function initial() {
  return {
    screen: 'loading', me: null, conn: 'idle', route: parse(),
    agents: new Map(), teams: [], inboxes: [], labels: [], canned: [],
    conversations: new Map(), contacts: new Map(), messages: new Map(), hasEarlier: new Map(),
    pending: [], typing: new Map(), visitors: new Map(), notices: [],
    filter: { view: 'mine', status: 'open', label: '', assignee: '', inbox: '', sort: 'activity', search: '' },
    settings: loadSettings(''), autoAway: false, help: false, toast: null, denied: null,
  };
}

const store = new Store(initial());
startRouter(store);
/** @type {Desk|null} */
let desk = null;

/** @param {import('./types.js').Agent} me */
async function start(me) {
  if (desk) return location.reload();
  const client = makeClient(me.id);
  desk = new Desk(store, client);
  store.set({ me, screen: 'main', settings: loadSettings(me.id), filter: loadFilter(me.id, store.state.filter), route: parse() });
  store.watch(['filter'], (s) => saveFilter(me.id, s.filter));
  clear(root);
  const { mountShell } = await import('./shell.js');
  mountShell(root, store, desk);
  client.start();
  try {
    await desk.boot();
  } catch (e) {
    console.error(e);
    store.set({ toast: 'Could not load everything; retrying on reconnect.' });
  }
}

/** @param {boolean} expired */
function signIn(expired) {
  desk?.client.stop();
  store.set({ screen: 'login', me: null });
  clear(root);
  root.append(loginScreen((me) => start(me), expired));
}

// The session ended (expired, signed out elsewhere): back to sign-in, keeping the URL.
whenUnauthorized(() => {
  if (store.state.screen === 'main') signIn(true);
});
store.watch(['conn'], (s) => {
  if (s.conn === 'unauthorized' && s.screen === 'main') {
    call('/me', { quiet401: true }).catch(() => signIn(true));
  }
});

async function boot() {
  let me = null;
  try {
    const p = await call('/me', { quiet401: true });
    if (p.kind === 'agent') me = p.agent;
  } catch { /* not signed in */ }
  if (me) return start(me);
  if (parse().name === 'setup') {
    store.set({ screen: 'setup' });
    clear(root);
    root.append(setupScreen((agent) => start(agent)));
    return;
  }
  signIn(false);
}

addEventListener('popstate', () => {
  if (store.state.screen !== 'main' && parse().name === 'setup') {
    clear(root);
    root.append(setupScreen((agent) => start(agent)));
  }
});
document.addEventListener('click', (e) => {
  const a = /** @type {Element} */ (e.target).closest?.('a[href="/app/setup"], a[href="/app"]');
  if (!a || store.state.screen === 'main') return;
  e.preventDefault();
  history.pushState(null, '', a.getAttribute('href'));
  if (parse().name === 'setup') {
    clear(root);
    root.append(setupScreen((agent) => start(agent)));
  } else signIn(false);
}, true);

boot();
