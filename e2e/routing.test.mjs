// Routing: a least-busy inbox with two online agents of capacity 1. Three visitors start chats:
// two are assigned at once (live in each agent's Mine), the third waits and its widget shows
// its place in line; when an agent resolves, the third is theirs at once and the place line
// goes; a supervisor's Queue view follows along. A transfer to an agent at capacity is refused
// for an agent (with a clear message) and goes through for a supervisor. Routing settings
// saved in the console (inbox and team) come back from the API, and a settings form being
// edited keeps its edits when another change reaches the console.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { appErrors, consoleLogin, consoleThread, createAgent, openWidget, setup, shownMessages, until } from './harness.mjs';

let env, alex, bo, sam, admin;
/** The visitors of the first test, by number: {frame, id} (id: their conversation). */
const visitors = [];
/** Agents' consoles: {page}. */
const consoles = {};

before(async () => {
  env = await setup();
  await env.api('PATCH', `/api/v1/inboxes/${env.inbox.id}`, { body: { routing: { policy: 'least_busy', reoffer_secs: 0, reoffer_marks_away: false } } });
  alex = await createAgent(env, { name: 'Alex', email: 'alex@example.com' });
  bo = await createAgent(env, { name: 'Bo', email: 'bo@example.com' });
  sam = await createAgent(env, { name: 'Sam', email: 'sam@example.com', role: 'supervisor' });
  for (const a of [alex, bo]) await env.api('PATCH', `/api/v1/agents/${a.id}`, { body: { capacity: 1 } });
  admin = await env.agentSocket();
});
after(async () => { await env?.teardown(); });

const conversation = (id) => env.api('GET', `/api/v1/conversations/${id}`);
const rows = (page) => page.locator('#conversation-list .c-row-item').evaluateAll((lis) => lis.filter((li) => li.offsetParent).map((li) => li.getAttribute('data-id')));
const queueRows = (page) => page.locator('#queue-list .c-queue-item').evaluateAll((lis) => lis.map((li) => ({ id: li.getAttribute('data-id'), position: li.getAttribute('data-position'), text: li.textContent })));

/** A visitor on the host page who opened the widget and said `text`; resolves with the conversation id. */
async function visitor(n) {
  const ctx = await env.context();
  await ctx.page.goto(env.host.origin + '/visitor-' + n);
  const frame = await openWidget(ctx.page);
  const text = `Hello from visitor ${n}`;
  await frame.locator('#ld-input').fill(text);
  await frame.locator('#ld-input').press('Enter');
  await until(async () => (await shownMessages(frame)).some((m) => m.body === text && !m.pending), { timeout: 30000, what: `"${text}" sent` });
  const m = await admin.message(text);
  return { ...ctx, frame, id: m.conversation_id };
}

test('least busy: two chats assigned at once, the third waits in line and goes to whoever frees up', async () => {
  // Both agents go online from their consoles; the supervisor watches the queue (and stays offline).
  for (const [key, a] of [['alex', alex], ['bo', bo]]) {
    consoles[key] = await consoleLogin(env, a.email);
    await consoles[key].page.locator('#presence').selectOption('online');
  }
  await until(async () => {
    const { agents } = await env.api('GET', '/api/v1/agents');
    return [alex, bo].every((a) => agents.some((x) => x.id === a.id && x.status === 'online' && x.connected));
  }, { what: 'both agents online and connected' });
  consoles.sam = await consoleLogin(env, sam.email);
  const s = consoles.sam.page;
  await s.locator('button[data-view="queue"]').click();
  await s.locator('#queue-empty').waitFor();
  assert.equal(await s.locator('.c-list-title').innerText(), 'Queue');

  // Two visitors: one each, without anyone taking them.
  visitors[1] = await visitor(1);
  const first = await until(async () => (await conversation(visitors[1].id)).assignee_id, { what: 'visitor 1 assigned' });
  visitors[2] = await visitor(2);
  const second = await until(async () => (await conversation(visitors[2].id)).assignee_id, { what: 'visitor 2 assigned' });
  assert.deepEqual([first, second].sort(), [alex.id, bo.id].sort(), 'one each');
  const owner = { [first]: visitors[1], [second]: visitors[2] };

  // Live in each agent's Mine, with the routing note in the timeline and a notification.
  for (const [key, a] of [['alex', alex], ['bo', bo]]) {
    const { page } = consoles[key];
    await until(async () => JSON.stringify(await rows(page)) === JSON.stringify([owner[a.id].id]), { what: `${a.name}'s Mine shows their chat` });
    await until(async () => (await page.locator('#notices .c-notice[data-kind="assigned"]').count()) > 0, { what: `${a.name} notified` });
    await page.locator(`.c-row-item[data-id="${owner[a.id].id}"] a`).click();
    await until(async () => (await consoleThread(page)).some((m) => m.body === `Assigned to ${a.name} by routing`), { what: 'the routing timeline note' });
  }
  // The supervisor's teammates list shows everyone's load.
  for (const a of [alex, bo]) {
    await until(async () => (await s.locator(`.c-mate[data-agent="${a.id}"] .c-load`).innerText()) === '1/1', { what: `${a.name} at 1/1` });
  }
  // Nobody waits: the widgets show no place in line.
  for (const v of [visitors[1], visitors[2]]) assert.equal(await v.frame.locator('.ld-queue').textContent(), '');

  // The third visitor: both agents are full, so they wait, first in line.
  visitors[3] = await visitor(3);
  const line = visitors[3].frame.locator('.ld-queue');
  await until(async () => /^You're next( · about \d+ min)?$/.test(await line.textContent()), { what: 'the queue place in the widget' });
  assert.ok(await line.isVisible());
  assert.equal(await line.getAttribute('aria-live'), 'polite');
  assert.equal((await conversation(visitors[3].id)).assignee_id, null);
  // The supervisor's Queue view shows it, as number 1, with a Take button.
  await until(async () => {
    const q = await queueRows(s);
    return q.length === 1 && q[0].id === visitors[3].id && q[0].position === '1';
  }, { what: 'the queue view lists visitor 3' });
  assert.equal(await s.locator('#queue-list .c-take').count(), 1);
  assert.equal(await s.locator('button[data-view="queue"] .c-count').innerText(), '1');
  // The API agrees.
  const listed = await env.api('GET', '/api/v1/conversations?sort=queue');
  assert.deepEqual(listed.conversations.map((c) => c.id), [visitors[3].id]);

  // Alex resolves: the waiting chat is Alex's at once, live in his Mine; the widget's line goes.
  const { page: a } = consoles.alex;
  await a.locator(`.c-row-item[data-id="${owner[alex.id].id}"] a`).click();
  await a.locator('#resolve').click();
  await until(async () => (await conversation(visitors[3].id)).assignee_id === alex.id, { what: 'visitor 3 assigned to Alex' });
  await until(async () => JSON.stringify(await rows(a)) === JSON.stringify([visitors[3].id]), { what: "visitor 3 in Alex's Mine" });
  await until(async () => (await line.textContent()) === '', { what: 'the queue line gone' });
  assert.equal(await line.isVisible(), false);
  await s.locator('#queue-empty').waitFor();
  assert.deepEqual(await queueRows(s), []);
  assert.equal(await s.locator('button[data-view="queue"] .c-count').innerText(), '');
  await until(async () => (await s.locator(`.c-mate[data-agent="${alex.id}"] .c-load`).innerText()) === '1/1', { what: 'Alex at 1/1 again' });

  // Alex answers; the visitor sees it.
  await a.locator(`.c-row-item[data-id="${visitors[3].id}"] a`).click();
  await until(async () => (await consoleThread(a)).some((m) => m.body === 'Hello from visitor 3'), { what: 'visitor 3 thread' });
  await a.locator('#composer').fill('Hi, Alex here. Sorry for the wait!');
  await a.locator('#composer').press('Enter');
  await visitors[3].frame.locator('.ld-them .ld-body', { hasText: 'Sorry for the wait' }).waitFor();
  assert.equal(await line.textContent(), '');
  assert.deepEqual(appErrors(env), []);
});

test('a transfer to an agent at capacity: refused for an agent with a clear message, done by a supervisor', async () => {
  // From the first test: Alex has visitor 3, Bo has his first chat; both are full (1/1).
  const mine = (await env.api('GET', '/api/v1/conversations?assignee=' + bo.id + '&status=open')).conversations;
  assert.equal(mine.length, 1);
  const id = mine[0].id;
  const { page: b } = consoles.bo;
  await b.goto(env.server.url + '/app/conversations/' + id);
  await b.locator('#transfer').click();
  const option = b.locator(`#transfer-to option[value="agent:${alex.id}"]`);
  assert.match(await option.textContent(), /^Alex \(online · full 1\/1 open\)$/);
  await b.locator('#transfer-to').selectOption('agent:' + alex.id);
  await b.locator('#transfer-go').click();
  await until(async () => /Alex is at capacity/.test(await b.locator('#transfer-error').textContent()), { what: 'the at-capacity message' });
  assert.equal((await conversation(id)).assignee_id, bo.id, 'still Bo’s');
  assert.equal(await b.locator('#transfer-go').isEnabled(), true);

  // A supervisor may go over capacity.
  const { page: s } = consoles.sam;
  await s.goto(env.server.url + '/app/conversations/' + id);
  await s.locator('#transfer').click();
  await s.locator('#transfer-to').selectOption('agent:' + alex.id);
  await s.locator('#transfer-go').click();
  await until(async () => (await conversation(id)).assignee_id === alex.id, { what: 'transferred to Alex' });
  await until(() => s.locator('#transfer-go').isHidden(), { what: 'the dialog closed' });
  assert.deepEqual(appErrors(env), []);
});

test('routing settings saved in the console come back from the API (inbox and team)', async () => {
  const sales = await env.api('POST', '/api/v1/inboxes', { body: { name: 'Sales', allowed_origins: [] } });
  const team = await env.api('POST', '/api/v1/teams', { body: { name: 'Billing', member_ids: [alex.id] } });
  const { page } = await consoleLogin(env, 'admin@example.com', { path: '/app/settings/inboxes/' + sales.id });
  const form = page.locator('#inbox-form');
  await form.waitFor();
  const policy = form.locator('#in-policy');
  assert.equal(await policy.inputValue(), 'manual');
  assert.match(await form.locator('#in-policy-hint').textContent(), /any agent takes one/);
  await policy.selectOption('round_robin');
  assert.match(await form.locator('#in-policy-hint').textContent(), /in turn/);
  await form.locator('#in-reoffer').fill('45');
  await form.locator('#in-reoffer-away').check();
  await form.getByRole('button', { name: 'Save inbox' }).click();
  await until(async () => {
    const inboxes = await env.api('GET', '/api/v1/inboxes');
    const got = (Array.isArray(inboxes) ? inboxes : inboxes.inboxes).find((i) => i.id === sales.id);
    return JSON.stringify(got.routing) === JSON.stringify({ policy: 'round_robin', reoffer_secs: 45, reoffer_marks_away: true });
  }, { what: 'the routing saved' });
  // Shown as saved after a reload; the other inbox is untouched.
  await page.reload();
  await page.locator('#inbox-form').waitFor();
  assert.equal(await page.locator('#in-policy').inputValue(), 'round_robin');
  assert.equal(await page.locator('#in-reoffer').inputValue(), '45');
  assert.equal(await page.locator('#in-reoffer-away').isChecked(), true);
  const inboxes = await env.api('GET', '/api/v1/inboxes');
  assert.equal((Array.isArray(inboxes) ? inboxes : inboxes.inboxes).find((i) => i.id === env.inbox.id).routing.policy, 'least_busy');

  // A team's own policy, then back to following the inbox.
  await page.goto(env.server.url + '/app/settings/teams');
  const sel = page.locator(`select[data-team-policy="${team.id}"]`);
  assert.equal(await sel.inputValue(), '');
  await sel.selectOption('least_busy');
  await page.locator(`form[data-team="${team.id}"]`).getByRole('button', { name: 'Save' }).click();
  const policyOf = async () => (await env.api('GET', '/api/v1/teams')).teams.find((t) => t.id === team.id).policy;
  await until(async () => (await policyOf()) === 'least_busy', { what: 'the team policy saved' });
  await until(async () => (await page.locator(`select[data-team-policy="${team.id}"]`).inputValue()) === 'least_busy', { what: 'shown after saving' });
  await page.locator(`select[data-team-policy="${team.id}"]`).selectOption('');
  await page.locator(`form[data-team="${team.id}"]`).getByRole('button', { name: 'Save' }).click();
  await until(async () => (await policyOf()) === null, { what: 'the team follows the inbox again' });
  assert.deepEqual(appErrors(env), []);
});

test('a settings form being edited keeps its edits when another change reaches the console', async () => {
  const team = await env.api('POST', '/api/v1/teams', { body: { name: 'Returns', member_ids: [] } });
  // Records, after the console has handled them, the agent updates its socket receives.
  const init = () => {
    const Native = window.WebSocket;
    /** @type {any} */ (window).heard = [];
    window.WebSocket = class extends Native {
      constructor(...args) {
        super(...args);
        this.addEventListener('message', (e) => {
          if (typeof e.data === 'string' && e.data.includes('"agent.updated"')) setTimeout(() => /** @type {any} */ (window).heard.push(e.data), 0);
        });
      }
    };
  };
  const { page } = await consoleLogin(env, 'admin@example.com', { path: '/app/settings/teams', init });
  const sel = page.locator(`select[data-team-policy="${team.id}"]`);
  await sel.waitFor();
  await sel.selectOption('round_robin');
  await page.locator('#settings').click({ position: { x: 2, y: 2 } }); // focus leaves the select
  // Another admin changes an agent: the console hears it while the form is unsaved.
  await env.api('PATCH', `/api/v1/agents/${bo.id}`, { body: { capacity: 7 } });
  await until(() => page.evaluate((id) => /** @type {any} */ (window).heard.some((f) => f.includes(id) && f.includes('"capacity":7')), bo.id), { what: 'the change reached the console' });
  assert.equal(await sel.inputValue(), 'round_robin', 'the unsaved choice is still shown');
  await page.locator(`form[data-team="${team.id}"]`).getByRole('button', { name: 'Save' }).click();
  const policyOf = async () => (await env.api('GET', '/api/v1/teams')).teams.find((t) => t.id === team.id).policy;
  await until(async () => (await policyOf()) === 'round_robin', { what: 'the edit saved' });
  // After the save the form shows what is stored.
  await until(async () => (await page.locator(`select[data-team-policy="${team.id}"]`).inputValue()) === 'round_robin', { what: 'shown after saving' });
  await env.api('PATCH', `/api/v1/agents/${bo.id}`, { body: { capacity: 1 } });
  assert.deepEqual(appErrors(env), []);
});
