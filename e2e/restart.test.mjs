// 3. The server restarts while the visitor types three messages: they wait in the outbox and,
// once the server is back, arrive exactly once and in order; what the agent said meanwhile
// reaches the visitor, whose view has no gap.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { openWidget, setup, shownMessages, until } from './harness.mjs';

let env;
before(async () => { env = await setup(); });
after(async () => { await env?.teardown(); });

test('messages typed while the server is down are sent once, in order, after it restarts', async () => {
  const agent = await env.agentSocket();
  const { page } = await env.context();
  await page.goto(env.host.origin + '/');
  const frame = await openWidget(page);
  const input = frame.locator('#ld-input');
  await input.fill('Before the restart');
  await input.press('Enter');
  const first = await agent.message('Before the restart');
  const conversation = first.conversation_id;
  await agent.say(conversation, 'Reply before the restart');
  await frame.getByText('Reply before the restart').waitFor();
  agent.close();

  await env.server.stop();
  const banner = frame.locator('.ld-banner');
  await until(async () => (await banner.innerText()) === 'Reconnecting…', { what: 'the reconnecting banner' });
  const offline = ['Offline one', 'Offline two', 'Offline three'];
  for (const body of offline) {
    await input.fill(body);
    await input.press('Enter');
  }
  const pending = await shownMessages(frame);
  assert.deepEqual(pending.slice(-3).map((m) => [m.body, m.pending, m.status]), offline.map((b) => [b, true, 'Sending…']));
  // The outbox survives in the frame's storage, keyed by client_msg_id.
  const stored = await frame.evaluate(() => Object.entries(localStorage).filter(([k]) => k.startsWith('livedesk.outbox.')).map(([, v]) => JSON.parse(v)).flat());
  assert.deepEqual(stored.map((e) => e.body), offline);
  assert.equal(new Set(stored.map((e) => e.client_msg_id)).size, 3);

  await env.server.start();
  // An agent who reconnects from its cursor, and answers before the visitor is back.
  const back = await env.agentSocket(env.token, [{ conversation_id: conversation, last_seq: first.seq + 1 }]);
  await back.say(conversation, 'Said while you were reconnecting');

  for (const body of offline) await back.message(body, 30000);
  await until(() => back.frames.filter((f) => f.type === 'message.created').length >= 4, { what: 'all messages at the agent' });
  await frame.getByText('Said while you were reconnecting').waitFor({ timeout: 30000 });
  await until(async () => (await banner.innerText()) === '', { what: 'the banner to go' });

  // Exactly once, in order — on the socket and in the stored history.
  const got = back.frames.filter((f) => f.type === 'message.created').map((f) => f.message);
  for (const body of offline) assert.equal(got.filter((m) => m.body === body).length, 1, `${body} once on the socket`);
  const history = await env.api('GET', `/api/v1/conversations/${conversation}/messages?after_seq=0&limit=100`);
  const bodies = history.messages.map((m) => m.body);
  assert.deepEqual(bodies.filter((b) => offline.includes(b)), offline, 'stored once each, in order');
  assert.equal(bodies.length, 6);

  // The visitor's view: the full history in seq order, nothing pending, nothing doubled.
  await until(async () => (await shownMessages(frame)).every((m) => !m.pending), { what: 'no pending message' });
  const shown = (await shownMessages(frame)).map((m) => m.body);
  assert.deepEqual([...shown].sort(), [...bodies].sort());
  assert.deepEqual(shown, bodies);
  const left = await frame.evaluate(() => Object.keys(localStorage).filter((k) => k.startsWith('livedesk.outbox.')));
  assert.deepEqual(left, [], 'the outbox is empty');
});
