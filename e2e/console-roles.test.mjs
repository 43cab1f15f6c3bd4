// Agent console, roles: a supervisor watches any conversation, whispers (a private note the
// agent sees and the visitor never does) and takes over; an agent outside an inbox cannot
// open its conversations, by URL in the console or by the API.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { api, appErrors, consoleLogin, consoleThread, createAgent, openWidget, recordFrames, request, setup, shownMessages, snippetPage, until } from './harness.mjs';

let env, alex, sue;
before(async () => {
  env = await setup();
  alex = await createAgent(env, { name: 'Alex', email: 'alex@example.com' });
  // A supervisor who is a member of no inbox: supervisors see every inbox anyway.
  sue = await createAgent(env, { name: 'Sue', email: 'sue@example.com', role: 'supervisor', inbox_ids: [] });
});
after(async () => { await env?.teardown(); });

test('a supervisor watches a conversation, whispers to the agent and takes over', async () => {
  const v = await env.context();
  const frames = recordFrames(v.page);
  await v.page.goto(env.host.origin + '/help');
  const frame = await openWidget(v.page);
  await frame.locator('#ld-input').fill('My parcel is lost');
  await frame.locator('#ld-input').press('Enter');

  const a = await consoleLogin(env, alex.email);
  await a.page.locator('button[data-view="unassigned"]').click();
  const row = a.page.locator('#conversation-list .c-row-item').first();
  await row.waitFor();
  const id = await row.getAttribute('data-id');
  await row.locator('a').click();
  await a.page.locator('#assign-me').click();
  await a.page.locator('#composer').fill('Let me look into it');
  await a.page.locator('#composer').press('Enter');
  await frame.locator('.ld-them .ld-body', { hasText: 'Let me look into it' }).waitFor();

  // The supervisor opens it by its URL and sees the whole history live.
  const s = await consoleLogin(env, sue.email, { path: '/app/conversations/' + id });
  await until(async () => (await consoleThread(s.page)).some((m) => m.body === 'Let me look into it'), { what: 'history for the supervisor' });
  assert.equal(await s.page.locator('#assign').inputValue(), alex.id);
  // Presence: Alex goes away; Sue sees it live among the teammates.
  await a.page.locator('#presence').selectOption('away');
  await until(async () => (await s.page.locator(`.c-mate[data-agent="${alex.id}"]`).getAttribute('data-status')) === 'away', { what: 'Alex away for Sue' });
  assert.equal((await api(env.server.url, 'GET', '/api/v1/me', { token: alex.token })).agent.status, 'away');
  await a.page.locator('#presence').selectOption('online');
  await until(async () => (await s.page.locator(`.c-mate[data-agent="${alex.id}"]`).getAttribute('data-status')) === 'online', { what: 'Alex online for Sue' });
  assert.equal(await s.page.locator('#take-over').count(), 1, 'a supervisor may take over');
  assert.equal(await a.page.locator('#take-over').count(), 0, 'the assignee has nothing to take over');
  await frame.locator('#ld-input').fill('It was due on Monday');
  await frame.locator('#ld-input').press('Enter');
  await until(async () => (await consoleThread(s.page)).some((m) => m.body === 'It was due on Monday'), { what: 'live for the supervisor' });

  // Whisper: a private note; the agent sees it live.
  await s.page.locator('#mode-note').click();
  await s.page.locator('#composer').fill('Offer a reshipment, not a refund');
  await s.page.locator('#composer').press('Enter');
  await until(async () => (await consoleThread(a.page)).some((m) => m.cls.includes('c-note') && m.body === 'Offer a reshipment, not a refund'), { what: 'the whisper at the agent' });

  // Take over: the supervisor is the assignee everywhere, with a timeline event.
  await s.page.locator('#take-over').click();
  await until(async () => (await s.page.locator('#assign').inputValue()) === sue.id, { what: 'assigned to Sue' });
  await until(async () => (await a.page.locator('#assign').inputValue()) === sue.id, { what: 'Alex sees Sue as assignee' });
  await until(async () => (await consoleThread(a.page)).some((m) => m.kind === 'event' && /Sue/.test(m.body)), { what: 'a timeline event' });
  await a.page.locator('button[data-view="mine"]').click();
  await until(async () => (await a.page.locator(`.c-row-item[data-id="${id}"]`).count()) === 0, { what: 'gone from Alex\'s Mine' });

  // The supervisor answers; the visitor got that, never the whisper or the events.
  await s.page.locator('#mode-reply').click();
  await s.page.locator('#composer').fill('We will reship today');
  await s.page.locator('#composer').press('Enter');
  await frame.locator('.ld-them .ld-body', { hasText: 'We will reship today' }).waitFor();
  const shown = (await shownMessages(frame)).map((m) => m.body);
  assert.deepEqual(shown, ['My parcel is lost', 'Let me look into it', 'It was due on Monday', 'We will reship today']);
  assert.ok(!frames.some((f) => f.includes('reshipment, not a refund')), 'the whisper never reaches the visitor');
  assert.deepEqual(appErrors(env), []);
  await Promise.all([v.context.close(), a.context.close(), s.context.close()]);
});

test('an agent outside an inbox cannot open its conversations, by URL or by the API', async () => {
  // A second inbox Alex is not a member of, with a visitor conversation in it.
  const other = await env.api('POST', '/api/v1/inboxes', { body: { name: 'VIP desk', allowed_origins: [env.host.origin] } });
  env.host.routes.set('/vip', snippetPage({ livedesk: env.server.url, inbox: other.id, title: 'VIP' }));
  const v = await env.context();
  await v.page.goto(env.host.origin + '/vip');
  const frame = await openWidget(v.page);
  await frame.locator('#ld-input').fill('VIP secret question');
  await frame.locator('#ld-input').press('Enter');
  const id = await until(async () => {
    const page = await env.api('GET', '/api/v1/conversations?inbox_id=' + other.id);
    return page.conversations[0]?.id;
  }, { what: 'the VIP conversation' });

  // API: every way in is refused.
  const base = env.server.url;
  for (const [method, path, body] of [
    ['GET', `/api/v1/conversations/${id}`],
    ['GET', `/api/v1/conversations/${id}/messages`],
    ['POST', `/api/v1/conversations/${id}/messages`, { client_msg_id: 'x-1', body: 'hi' }],
    ['PATCH', `/api/v1/conversations/${id}`, { assignee_id: alex.id }],
    ['POST', `/api/v1/conversations/${id}/transfer`, { agent_id: alex.id }],
  ]) {
    const r = await request(base, method, path, { token: alex.token, body });
    assert.ok(r.status === 403 || r.status === 404, `${method} ${path} → ${r.status}`);
  }
  const list = await api(base, 'GET', '/api/v1/conversations?limit=200', { token: alex.token });
  assert.ok(!list.conversations.some((c) => c.id === id), 'not in the list');
  const inboxes = await api(base, 'GET', '/api/v1/inboxes', { token: alex.token });
  assert.ok(!(Array.isArray(inboxes) ? inboxes : inboxes.inboxes).some((i) => i.id === other.id), 'not among the inboxes');

  // Console: the deep link says no, nothing of the conversation is shown.
  const a = await consoleLogin(env, alex.email, { path: '/app/conversations/' + id });
  await a.page.locator('#conversation-denied').waitFor();
  assert.equal(await a.page.locator('#thread').count(), 0);
  assert.ok(!(await a.page.locator('body').innerText()).includes('VIP secret question'));
  await a.page.locator('button[data-view="all"]').click();
  await a.page.locator('#f-status').selectOption('all');
  assert.equal(await a.page.locator(`.c-row-item[data-id="${id}"]`).count(), 0);
  // New messages there do not leak to Alex's socket either.
  const sock = await env.agentSocket(alex.token);
  await frame.locator('#ld-input').fill('Another VIP message');
  await frame.locator('#ld-input').press('Enter');
  await until(async () => (await env.api('GET', `/api/v1/conversations/${id}/messages`)).messages.some((m) => m.body === 'Another VIP message'), { what: 'stored' });
  // A message in Alex's own inbox afterwards arrives, so anything before it would have too.
  const mine = await env.context();
  await mine.page.goto(env.host.origin + '/own');
  const f2 = await openWidget(mine.page);
  await f2.locator('#ld-input').fill('Own inbox message');
  await f2.locator('#ld-input').press('Enter');
  await sock.message('Own inbox message');
  assert.ok(!sock.frames.some((f) => JSON.stringify(f).includes('VIP')), 'no VIP frame on Alex\'s socket');

  // An admin can open it.
  const admin = await consoleLogin(env, 'admin@example.com', { path: '/app/conversations/' + id });
  await until(async () => (await consoleThread(admin.page)).some((m) => m.body === 'VIP secret question'), { what: 'the admin sees it' });
  await Promise.all([v.context.close(), a.context.close(), admin.context.close(), mine.context.close()]);
});
