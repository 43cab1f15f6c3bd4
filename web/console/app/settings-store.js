// @ts-check
/* Per-agent console preferences, kept in this browser (keyed by agent id). */

import { storage } from './store.js';

/** @type {import('./types.js').Settings} */
const DEFAULTS = { sound: true, desktop: true, notifyNew: true, notifyMessages: true, autoAwayMinutes: 10 };

/** @param {string} agentId */
export function loadSettings(agentId) {
  try {
    return { ...DEFAULTS, ...JSON.parse(storage.get('livedesk.console.settings.' + agentId) || '{}') };
  } catch {
    return { ...DEFAULTS };
  }
}

/** @param {string} agentId @param {import('./types.js').Settings} s */
export function saveSettings(agentId, s) {
  storage.put('livedesk.console.settings.' + agentId, JSON.stringify(s));
}

/** The list view and filters, remembered across reloads (not the search text). @param {string} agentId @param {import('./types.js').ListFilter} fallback */
export function loadFilter(agentId, fallback) {
  try {
    return { ...fallback, ...JSON.parse(storage.get('livedesk.console.filter.' + agentId) || '{}'), search: '' };
  } catch {
    return fallback;
  }
}

/** @param {string} agentId @param {import('./types.js').ListFilter} f */
export function saveFilter(agentId, f) {
  storage.put('livedesk.console.filter.' + agentId, JSON.stringify({ ...f, search: '' }));
}
