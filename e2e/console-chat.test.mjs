// Agent console, live chat: one agent with three conversations at once (messages, typing and
// sneak peek both ways), a transfer to a second agent with a note, canned responses with
// variables, and a private note with an @mention that never reaches the visitor.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import WebSocket from 'ws';
import { api, appErrors, consoleLogin, consoleThread, createAgent, openWidget, recordFrames, setup, shownMessages, until, visitorToken } from './harness.mjs';

let env, alex, bo;
before(async () => {
  env = await setup({ env: { LIVEDESK_LIMITS__MESSAGES: '1000/s' } });
  alex = await createAgent(env, { name: 'Alex', email: 'alex@example.com' });
  bo = await createAgent(env, { name: 'Bo', email: 'bo@example.com' });
});
after(async () => { await env?.teardown(); });

/** A visitor on the host page who opened the widget and said `text`. */
async function visitor(path, text) {
  const ctx = await env.context();
  const frames = recordFrames(ctx.page);
  await ctx.page.goto(env.host.origin + path);
  const frame = await openWidget(ctx.page);
  if (text) {
    await frame.locator('#ld-input').fill(text);
    await frame.locator('#ld-input').press('Enter');
    await until(async () => (await shownMessages(frame)).some((m) => m.body === text && !m.pending), { timeout: 30000, what: `"${text}" sent` });
  }
  return { ...ctx, frame, frames };
}

/** The conversation id of a row whose preview or name matches. */
async function rowFor(page, text) {
  const row = page.locator('#conversation-list .c-row-item', { hasText: text });
  await row.first().waitFor();
  return row.first().getAttribute('data-id');
}

test('one agent handles three conversations at once, live both ways, with typing and sneak peek', async () => {
  const a = await consoleLogin(env, alex.email);
  const { page } = a;
  const visitors = [];
  for (let i = 1; i <= 3; i++) visitors.push(await visitor('/p' + i, `Hello from visitor ${i}`));

  // All three appear in Unassigned without a reload.
  await page.locator('button[data-view="unassigned"]').click();
  const ids = [];
  for (let i = 1; i <= 3; i++) {
    // The list shows the conversation; opening it shows the message.
    await until(async () => (await page.locator('#conversation-list .c-row-item').count()) >= i, { what: `${i} rows` });
  }
  const rows = await page.locator('#conversation-list .c-row-item').evaluateAll((lis) => lis.map((li) => li.getAttribute('data-id')));
  assert.equal(rows.length, 3);
  // Take each one.
  for (const id of rows) {
    await page.locator(`.c-row-item[data-id="${id}"] a`).click();
    await page.locator('#assign-me').click();
    await until(async () => (await page.locator('#assign').inputValue()) === alex.id, { what: 'assigned to Alex' });
    const thread = await consoleThread(page);
    const hello = thread.find((m) => /^Hello from visitor \d$/.test(m.body));
    assert.ok(hello, 'the visitor message is in the thread');
    ids[Number(hello.body.slice(-1)) - 1] = id;
  }
  await page.locator('button[data-view="mine"]').click();
  await until(async () => (await page.locator('#conversation-list .c-row-item').count()) === 3, { what: 'three in Mine' });
  await until(async () => (await page.locator('button[data-view="unassigned"] .c-count').innerText()) === '', { what: 'none unassigned' });

  for (let i = 0; i < 3; i++) {
    const v = visitors[i];
    await page.goto(env.server.url + '/app/conversations/' + ids[i]); // a deep link works on reload
    await page.locator('#composer').waitFor();
    await until(async () => (await consoleThread(page)).some((m) => m.body === `Hello from visitor ${i + 1}`), { what: 'history after reload' });

    // Agent → visitor, with the agent's typing first.
    await page.locator('#composer').pressSequentially('Hi, visitor');
    await v.frame.locator('.ld-typing').waitFor({ state: 'visible' });
    await page.locator('#composer').fill(`Hi visitor ${i + 1}, Alex here`);
    await page.locator('#composer').press('Enter');
    await v.frame.locator('.ld-them .ld-body', { hasText: `Hi visitor ${i + 1}, Alex here` }).waitFor();
    assert.equal(await page.locator('#composer').inputValue(), '', 'Enter sent and cleared the composer');

    // Visitor → agent: typing (from the widget), then the message, live in the open view.
    await v.frame.locator('#ld-input').pressSequentially('I need help');
    await page.locator('#typing .c-typing-line[data-kind="contact"]').waitFor();
    await v.frame.locator('#ld-input').press('Enter');
    await until(async () => (await consoleThread(page)).some((m) => m.body === 'I need help' && m.author === 'contact'), { what: 'visitor message live' });

    // The visitor's read receipt shows on the agent's message.
    await until(async () => (await page.locator('#thread li.c-ours .c-status').last().innerText()) === 'Read', { what: '"Read" on the agent reply' });
  }

  // Sneak peek: the visitor's draft (typing with `draft`) shows live to the agent.
  const token = await visitorToken(visitors[0].frame);
  const ws = new WebSocket(env.server.url.replace('http', 'ws') + '/ws/v1?inbox=' + env.inbox.id);
  await new Promise((r, j) => { ws.on('open', r); ws.on('error', j); });
  ws.send(JSON.stringify({ type: 'hello', token }));
  await new Promise((r) => ws.once('message', r));
  await page.goto(env.server.url + '/app/conversations/' + ids[0]);
  await page.locator('#composer').waitFor();
  ws.send(JSON.stringify({ type: 'typing', conversation_id: ids[0], on: true, draft: 'my order number is 10' }));
  await until(async () => (await page.locator('#typing .c-peek').textContent()) === 'my order number is 10', { what: 'sneak peek' });
  ws.send(JSON.stringify({ type: 'typing', conversation_id: ids[0], on: true, draft: 'my order number is 1042' }));
  await until(async () => (await page.locator('#typing .c-peek').textContent()) === 'my order number is 1042', { what: 'sneak peek update' });
  ws.close();

  // A message in a conversation that is not open: unread badge in the list.
  await visitors[2].frame.locator('#ld-input').fill('Are you still there?');
  await visitors[2].frame.locator('#ld-input').press('Enter');
  await page.locator(`.c-row-item[data-id="${ids[2]}"] .c-unread`).waitFor();
  await until(async () => /Are you still there\?/.test(await page.locator(`.c-row-item[data-id="${ids[2]}"]`).innerText()), { what: 'list preview' });

  // Nothing shown twice, nothing missing, in seq order.
  await page.goto(env.server.url + '/app/conversations/' + ids[2]);
  await until(async () => (await consoleThread(page)).some((m) => m.body === 'Are you still there?'), { what: 'thread' });
  const thread = (await consoleThread(page)).filter((m) => m.kind !== 'event');
  assert.deepEqual(thread.map((m) => m.body), ['Hello from visitor 3', 'Hi visitor 3, Alex here', 'I need help', 'Are you still there?']);
  const seqs = thread.map((m) => m.seq);
  assert.deepEqual(seqs, [...seqs].sort((x, y) => x - y));
  // The visitor never received drafts.
  for (const v of visitors) assert.ok(!v.frames.some((f) => f.includes('"draft"')), 'no draft reaches a visitor');
  assert.deepEqual(appErrors(env), []);
  for (const v of visitors) await v.context.close();
  await a.context.close();
});

test('a transfer from A to B shows up live for B with its note; A\'s list updates', async () => {
  const a = await consoleLogin(env, alex.email);
  const b = await consoleLogin(env, bo.email);
  const v = await visitor('/transfer', 'I want a refund');
  await a.page.locator('button[data-view="unassigned"]').click();
  const id = await rowFor(a.page, 'Unassigned');
  await a.page.locator(`.c-row-item[data-id="${id}"] a`).click();
  await a.page.locator('#assign-me').click();
  await a.page.locator('button[data-view="mine"]').click();
  await a.page.locator(`.c-row-item[data-id="${id}"]`).waitFor();

  // B watches Mine: nothing there yet.
  await b.page.locator('button[data-view="mine"]').click();
  assert.equal(await b.page.locator(`.c-row-item[data-id="${id}"]`).count(), 0);

  await a.page.locator('#transfer').click();
  await a.page.locator('#transfer-to').selectOption('agent:' + bo.id);
  await a.page.locator('#transfer-note').fill('Refund approved up to 20 EUR, please finish');
  await a.page.locator('#transfer-go').click();

  // B: live in Mine, a notification, and the note in the thread.
  await b.page.locator(`#conversation-list .c-row-item[data-id="${id}"]`).waitFor();
  await until(async () => (await b.page.locator('#notices .c-notice[data-kind="transfer"]').count()) > 0, { what: 'B notified of the transfer' });
  await b.page.locator(`.c-row-item[data-id="${id}"] a`).click();
  await until(async () => (await consoleThread(b.page)).some((m) => m.cls.includes('c-note') && m.body === 'Refund approved up to 20 EUR, please finish'), { what: 'the transfer note' });
  assert.ok((await consoleThread(b.page)).some((m) => m.kind === 'event' && /Bo/.test(m.body)), 'a timeline event names Bo');
  assert.equal(await b.page.locator('#assign').inputValue(), bo.id);

  // A: gone from Mine without a reload; the open view shows the new assignee.
  await until(async () => (await a.page.locator(`#conversation-list .c-row-item[data-id="${id}"]`).count()) === 0, { what: 'gone from A\'s Mine' });
  await until(async () => (await a.page.locator('#assign').inputValue()) === bo.id, { what: 'A sees Bo as assignee' });
  // The visitor saw neither the note nor the event.
  await until(async () => (await shownMessages(v.frame)).length >= 1);
  assert.ok(!(await v.frame.locator('body').innerText()).includes('Refund approved'));
  assert.ok(!v.frames.some((f) => f.includes('Refund approved')));
  await Promise.all([a.context.close(), b.context.close(), v.context.close()]);
});

test('canned responses fill in variables; a note with an @mention notifies B and never reaches the visitor', async () => {
  await env.api('POST', '/api/v1/canned-responses', { body: { shortcut: 'thanks', title: 'Thanks', body: 'Thanks {{contact.name}} ({{contact.email}})! {{agent.name}} here, I see you are on {{contact.attributes.plan}}.' } });
  await env.api('POST', '/api/v1/canned-responses', { body: { shortcut: 'bye', title: 'Goodbye', body: 'Have a nice day!' } });
  const v = await visitor('/canned', null);
  await v.page.evaluate(() => {
    window.Livedesk('identify', { name: 'Sam Lee', email: 'sam@example.com' });
    window.Livedesk('setAttributes', { plan: 'Pro' });
  });
  await v.frame.locator('#ld-input').fill('Question about billing');
  await v.frame.locator('#ld-input').press('Enter');
  // The widget has told the server who this is.
  await until(async () => {
    const page = await env.api('GET', '/api/v1/conversations?limit=200');
    return (page.contacts || []).some((c) => c.name === 'Sam Lee' && c.email === 'sam@example.com' && c.attributes?.plan === 'Pro');
  }, { what: 'the identified contact' });
  // Bea works another inbox only: she cannot see this conversation, so she is not offered.
  const vip = await env.api('POST', '/api/v1/inboxes', { body: { name: 'VIP desk', allowed_origins: [env.host.origin] } });
  await createAgent(env, { name: 'Bea', email: 'bea@example.com', inbox_ids: [vip.id] });
  const a = await consoleLogin(env, alex.email);
  // Count B's notification tones: every AudioContext oscillator.
  const b = await consoleLogin(env, bo.email, { init: () => {
    window.tones = 0;
    const make = AudioContext.prototype.createOscillator;
    AudioContext.prototype.createOscillator = function () { window.tones++; return make.call(this); };
  } });
  await b.page.locator('body').click({ position: { x: 5, y: 400 } }); // a gesture, so audio may start
  await a.page.locator('button[data-view="unassigned"]').click();
  const id = await rowFor(a.page, 'Sam Lee');
  await a.page.locator(`.c-row-item[data-id="${id}"] a`).click();
  await a.page.locator('#assign-me').click();
  await until(async () => (await a.page.locator('#customer-email').innerText()) === 'sam@example.com', { what: 'contact e-mail in the panel' });
  await until(async () => (await a.page.locator('#assign').inputValue()) === alex.id, { what: 'assigned' });
  await until(async () => (await consoleThread(a.page)).some((m) => m.kind === 'event'), { what: 'the assignment event' });

  // `/` opens the picker, filtered as one types; Enter takes the first match.
  const input = a.page.locator('#composer');
  await input.pressSequentially('/tha');
  await a.page.locator('#canned-picker').waitFor({ state: 'visible' });
  assert.deepEqual(await a.page.locator('#canned-picker li strong').allInnerTexts(), ['/thanks']);
  await input.press('Enter');
  const expanded = 'Thanks Sam Lee (sam@example.com)! Alex here, I see you are on Pro.';
  assert.equal(await input.inputValue(), expanded);
  await input.press('Enter');
  await v.frame.locator('.ld-them .ld-body', { hasText: expanded }).waitFor();

  // A private note mentioning Bo.
  await a.page.locator('#mode-note').click();
  await input.pressSequentially('Secret: customer owes 40 EUR, @B');
  await a.page.locator('#mention-picker').waitFor({ state: 'visible' });
  assert.deepEqual(await a.page.locator('#mention-picker li strong').allInnerTexts(), ['Bo']);
  await input.press('Enter');
  await input.pressSequentially('please double-check');
  assert.equal(await input.inputValue(), 'Secret: customer owes 40 EUR, @Bo please double-check');
  await input.press('Enter');
  await until(async () => (await consoleThread(a.page)).some((m) => m.cls.includes('c-note') && m.body.startsWith('Secret: customer owes')), { what: 'the note in A\'s thread' });

  // B is notified of the mention (in-app list), and can open it.
  await until(async () => (await b.page.locator('#notices .c-notice[data-kind="mention"]').count()) > 0, { what: 'B notified of the mention' });
  assert.match(await b.page.locator('#notices .c-notice[data-kind="mention"]').first().textContent(), /Alex/);
  await until(() => b.page.evaluate(() => window.tones > 0), { what: 'a tone for B' });
  assert.equal(await b.page.locator('#notice-count').innerText(), '1');
  await b.page.locator('#notices .c-notice[data-kind="mention"] a').first().evaluate((el) => el.click());
  await until(async () => (await consoleThread(b.page)).some((m) => m.cls.includes('c-note') && m.body.includes('@Bo please double-check')), { what: 'B sees the note' });

  // The visitor: after a later reply (so everything before has arrived), no trace of the note.
  await a.page.locator('#mode-reply').click();
  await input.fill('Anything else?');
  await input.press('Enter');
  await v.frame.locator('.ld-them .ld-body', { hasText: 'Anything else?' }).waitFor();
  assert.ok(!(await v.frame.locator('body').innerText()).includes('Secret'), 'not in the widget');
  assert.ok(v.frames.some((f) => f.includes('Anything else?')), 'frames are recorded');
  for (const f of v.frames) {
    assert.ok(!f.includes('Secret') && !f.includes('double-check'), 'no frame carries the note: ' + f.slice(0, 200));
    assert.ok(!/"type":"notification"/.test(f) && !/"kind":"note"/.test(f), 'no notification or note frame: ' + f.slice(0, 200));
  }

  // The customer panel edits attributes (PATCH /contacts/{id}); the next expansion uses them.
  const plan = a.page.locator('#attributes input[data-key="plan"]');
  await plan.fill('Enterprise');
  await plan.press('Enter');
  const contactId = (await env.api('GET', '/api/v1/conversations/' + id)).contact_id;
  const token = await visitorToken(v.frame);
  await until(async () => (await env.api('GET', '/api/v1/contacts/' + contactId)).contact.attributes.plan === 'Enterprise', { what: 'the attribute saved' });
  await a.page.locator('#attr-key').fill('seats');
  await a.page.locator('#attr-value').fill('12');
  await a.page.locator('#attr-value').press('Enter');
  await until(async () => (await env.api('GET', '/api/v1/contacts/' + contactId)).contact.attributes.seats === '12', { what: 'a new attribute' });
  await input.fill('/thanks');
  await a.page.locator('#canned-picker').waitFor({ state: 'visible' });
  await input.press('Enter');
  assert.equal(await input.inputValue(), 'Thanks Sam Lee (sam@example.com)! Alex here, I see you are on Enterprise.');
  await Promise.all([a.context.close(), b.context.close(), v.context.close()]);
});

test('history scrolls back page by page; a file sent from the console reaches the visitor; the tab title counts unread', async () => {
  const v = await visitor('/long', 'Message 1');
  const token = await visitorToken(v.frame);
  const id = await until(async () => (await api(env.server.url, 'GET', '/api/v1/conversations', { token })).conversations[0]?.id, { what: 'the conversation' });
  for (let i = 2; i <= 130; i++) {
    await api(env.server.url, 'POST', `/api/v1/conversations/${id}/messages`, { token, body: { client_msg_id: 'long-' + i, body: 'Message ' + i } });
  }
  const a = await consoleLogin(env, alex.email, { path: '/app/conversations/' + id });
  await until(async () => (await consoleThread(a.page)).some((m) => m.body === 'Message 130'), { what: 'the newest page' });
  const first = await consoleThread(a.page);
  assert.equal(first.length, 50);
  // Scroll to the top until the first message is there.
  await until(async () => {
    await a.page.locator('.c-scroll').evaluate((el) => { el.scrollTop = 0; el.dispatchEvent(new Event('scroll')); });
    return (await consoleThread(a.page)).some((m) => m.body === 'Message 1');
  }, { what: 'the oldest message' });
  const all = (await consoleThread(a.page)).map((m) => m.seq);
  assert.deepEqual(all, Array.from({ length: 130 }, (_, i) => i + 1), 'every seq once, in order');

  // A file from the console.
  await a.page.locator('#attach-file').setInputFiles({ name: 'return-label.txt', mimeType: 'text/plain', buffer: Buffer.from('RMA 1042\n') });
  await v.frame.locator('.ld-file-name', { hasText: 'return-label.txt' }).waitFor();
  await a.page.locator('#thread li.c-ours .c-attachment', { hasText: 'return-label.txt' }).waitFor();

  // Another conversation gets a message: the tab title shows an unread count.
  const other = await visitor('/title', 'Anyone?');
  await until(async () => /^\(\d+\) /.test(await a.page.title()), { what: 'an unread count in the title' });
  await Promise.all([a.context.close(), v.context.close(), other.context.close()]);
});

test('transfer to a team, labels, priority and snooze, consistent for two agents at once', async () => {
  const team = await env.api('POST', '/api/v1/teams', { body: { name: 'Billing', member_ids: [bo.id] } });
  await env.api('POST', '/api/v1/labels', { body: { name: 'refund', color: '#cf222e' } });
  const v = await visitor('/team', 'Invoice question');
  const a = await consoleLogin(env, alex.email);
  const b = await consoleLogin(env, bo.email);
  await a.page.locator('button[data-view="unassigned"]').click();
  const id = await rowFor(a.page, 'Invoice question');
  await a.page.locator(`.c-row-item[data-id="${id}"] a`).click();
  await a.page.locator('#assign-me').click();
  await until(async () => (await a.page.locator('#assign').inputValue()) === alex.id, { what: 'assigned' });
  // B has the same conversation open.
  await b.page.goto(env.server.url + '/app/conversations/' + id);
  await b.page.locator('#composer').waitFor();

  // Label and priority from A show up at B.
  await a.page.locator('.c-labels-menu summary').click();
  await a.page.locator('.c-labels-menu label', { hasText: 'refund' }).locator('input').check();
  await a.page.locator('#priority').selectOption('urgent');
  await until(async () => (await b.page.locator('#priority').inputValue()) === 'urgent', { what: 'priority at B' });
  await until(async () => (await b.page.locator('.c-labels-menu summary').innerText()) === 'Labels (1)', { what: 'label at B' });
  await b.page.locator('#f-label').selectOption('refund');
  await b.page.locator('button[data-view="all"]').click();
  await b.page.locator(`#conversation-list .c-row-item[data-id="${id}"] .c-label`, { hasText: 'refund' }).waitFor();

  // Transfer to the team: unassigned, in the team's view, members notified.
  await a.page.locator('#transfer').click();
  await a.page.locator('#transfer-to').selectOption('team:' + team.id);
  await a.page.locator('#transfer-note').fill('Billing, please take this one');
  await a.page.locator('#transfer-go').click();
  await until(async () => (await b.page.locator('#notices .c-notice[data-kind="transfer"]').count()) > 0, { what: 'team member notified' });
  await until(async () => (await b.page.locator('#assign').inputValue()) === '', { what: 'unassigned at B' });
  await b.page.locator(`button[data-view="team:${team.id}"]`).click();
  await b.page.locator(`#conversation-list .c-row-item[data-id="${id}"]`).waitFor();
  await until(async () => (await consoleThread(b.page)).some((m) => m.cls.includes('c-note') && m.body === 'Billing, please take this one'), { what: 'the note at B' });

  // Snooze for an hour from B; A sees it snoozed.
  await b.page.locator('#snooze').click();
  await b.page.locator('.c-pop button', { hasText: '1 hour' }).click();
  await until(async () => /^Snoozed until/.test(await a.page.locator('#conv-status').innerText()), { what: 'snoozed at A' });
  const c = await env.api('GET', '/api/v1/conversations/' + id);
  assert.equal(c.status, 'snoozed');
  assert.ok(c.snoozed_until > Date.now() + 50 * 60e3 && c.snoozed_until < Date.now() + 70 * 60e3);
  assert.deepEqual(c.labels, ['refund']);
  assert.equal(c.priority, 'urgent');
  assert.equal(c.team_id, team.id);
  // Reopen from A.
  await a.page.locator('#reopen').click();
  await until(async () => (await b.page.locator('#conv-status').innerText()) === 'Open', { what: 'open again at B' });
  assert.ok(!v.frames.some((f) => f.includes('Billing, please take')), 'the note never reaches the visitor');
  await Promise.all([a.context.close(), b.context.close(), v.context.close()]);
});

test('blocking a visitor from the customer panel ends their chat session at once', async () => {
  const v = await visitor('/block-me', 'Buy cheap watches!!!');
  const a = await consoleLogin(env, alex.email);
  await a.page.locator('button[data-view="unassigned"]').click();
  const id = await rowFor(a.page, 'cheap watches');
  await a.page.locator(`.c-row-item[data-id="${id}"] a`).click();
  const contactId = (await env.api('GET', '/api/v1/conversations/' + id)).contact_id;
  const token = await visitorToken(v.frame);
  await a.page.locator('#block-contact').click();
  await until(async () => (await a.page.locator('#block-contact').innerText()) === 'Confirm: block', { what: 'a confirmation step' });
  await a.page.locator('#block-contact').click();
  await a.page.locator('#blocked').waitFor();
  const contact = await env.api('GET', '/api/v1/contacts/' + contactId);
  assert.equal((contact.contact ?? contact).blocked, true);
  // The visitor's old token is refused; the widget carries on only as a new, unknown visitor.
  await until(async () => (await visitorToken(v.frame)) !== token, { what: 'the widget dropped the blocked token' });
  await a.page.locator('#block-contact', { hasText: 'Unblock' }).click();
  await until(async () => !(await a.page.locator('#blocked').count()), { what: 'unblocked' });
  await Promise.all([a.context.close(), v.context.close()]);
});
