// @ts-check
/* Which conversations a list shows, in which order, and the counts beside each view. */

/** @typedef {import('./types.js').Conversation} Conversation @typedef {import('./types.js').State} State */

/**
 * Visitor messages the agents' side has not read. From the held messages when there are any
 * past the read position; otherwise an estimate from the seqs, only while the visitor waits.
 * @param {Conversation} c @param {import('./types.js').Message[]} [held]
 */
export function unread(c, held) {
  const read = c.receipts?.agent_read || 0;
  if (c.last_seq <= read) return 0;
  if (held?.length && held[0].seq <= read + 1) return held.filter((m) => m.seq > read && m.author.kind === 'contact').length;
  return c.waiting_since ? c.last_seq - read : 0;
}

/** @param {State} s @param {string} view @param {Conversation} c */
export function inView(s, view, c) {
  const me = s.me?.id;
  if (view === 'mine') return c.assignee_id === me;
  if (view === 'unassigned') return !c.assignee_id;
  if (view === 'queue') return queued(c);
  if (view.startsWith('team:')) return c.team_id === view.slice(5);
  if (view.startsWith('inbox:')) return c.inbox_id === view.slice(6);
  return true;
}

/** @param {State} s */
export function visible(s) {
  const f = s.filter;
  const q = f.search.trim().toLowerCase();
  const out = [];
  for (const c of s.conversations.values()) {
    if (!inView(s, f.view, c)) continue;
    if (f.status !== 'all' && c.status !== f.status) continue;
    if (f.label && !(c.labels || []).includes(f.label)) continue;
    if (f.assignee && (f.assignee === 'none' ? c.assignee_id : c.assignee_id !== f.assignee)) continue;
    if (f.inbox && c.inbox_id !== f.inbox) continue;
    if (q) {
      const p = s.contacts.get(c.contact_id);
      const hay = [p?.name, p?.email, c.id].join(' ').toLowerCase();
      if (!hay.includes(q)) continue;
    }
    out.push(c);
  }
  const activity = (/** @type {Conversation} */ c) => c.last_message_at || c.updated_at;
  if (f.sort === 'waiting') {
    out.sort((a, b) => (a.waiting_since ?? Infinity) - (b.waiting_since ?? Infinity) || activity(b) - activity(a));
  } else out.sort((a, b) => activity(b) - activity(a) || (a.id < b.id ? 1 : -1));
  return out;
}

/** In routing's queue: open, unassigned and waiting since `queued_at`. @param {Conversation} c */
export function queued(c) {
  return c.status === 'open' && !c.assignee_id && c.queued_at != null;
}

const RANK = { urgent: 4, high: 3, medium: 2, low: 1, none: 0 };

/**
 * The queue in the order routing serves it (as `GET /conversations?sort=queue`): higher
 * priority first, then longest queued.
 * @param {State} s
 */
export function queue(s) {
  const out = [...s.conversations.values()].filter(queued);
  const rank = (/** @type {Conversation} */ c) => RANK[c.priority || 'none'] || 0;
  out.sort((a, b) => rank(b) - rank(a) || Number(a.queued_at) - Number(b.queued_at) || (a.id < b.id ? -1 : 1));
  return out;
}

/** Open conversations per view, for the counts. @param {State} s @param {string} view */
export function count(s, view) {
  let n = 0;
  for (const c of s.conversations.values()) if (c.status === 'open' && inView(s, view, c)) n++;
  return n;
}
