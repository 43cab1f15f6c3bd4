// Agent console, reconnect: the server restarts (same data directory) while visitors write and
// the agent replies; after reconnecting, the console's lists and open view are complete, in
// seq order, with nothing doubled and nothing left pending.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { appErrors, consoleLogin, consoleThread, createAgent, openWidget, setup, shownMessages, until } from './harness.mjs';

let env, alex;
before(async () => {
  env = await setup();
  alex = await createAgent(env, { name: 'Alex', email: 'alex@example.com' });
});
after(async () => { await env?.teardown(); });

/** The stored history of a conversation (agent view, every kind), oldest first. */
async function history(id) {
  const page = await env.api('GET', `/api/v1/conversations/${id}/messages?after_seq=0&limit=500`);
  return page.messages;
}

/** The console's thread compared to the stored history: same seqs and bodies, once each. */
async function sameAsStored(page, id) {
  const stored = await history(id);
  const shown = await consoleThread(page);
  const seqs = shown.map((m) => m.seq);
  return shown.length === stored.length && new Set(seqs).size === seqs.length && shown.every((m, i) => m.seq === stored[i].seq && (m.kind === 'event' || m.body === stored[i].body));
}

test('after a server restart the console\'s lists and views are complete, nothing duplicated', async () => {
  const visitors = [];
  for (let i = 1; i <= 3; i++) {
    const ctx = await env.context();
    await ctx.page.goto(env.host.origin + '/r' + i);
    const frame = await openWidget(ctx.page);
    await frame.locator('#ld-input').fill(`Hello ${i}`);
    await frame.locator('#ld-input').press('Enter');
    await until(async () => (await shownMessages(frame)).some((m) => m.body === `Hello ${i}` && !m.pending), { what: `Hello ${i} sent` });
    visitors.push({ ...ctx, frame });
  }
  const a = await consoleLogin(env, alex.email);
  const { page } = a;
  await page.locator('button[data-view="all"]').click();
  await until(async () => (await page.locator('#conversation-list .c-row-item').count()) === 3, { what: 'three rows' });
  const ids = {};
  for (const li of await page.locator('#conversation-list .c-row-item').all()) {
    const id = await li.getAttribute('data-id');
    const body = (await history(id))[0].body;
    ids[body.slice(-1)] = id;
  }
  await page.goto(env.server.url + '/app/conversations/' + ids[1]);
  await page.locator('#composer').fill('Reply before the restart');
  await page.locator('#composer').press('Enter');
  await visitors[0].frame.getByText('Reply before the restart').waitFor();
  // Conversation 2 seen once by the console (so it holds a cursor for it), 3 only in the list.
  await page.locator(`.c-row-item[data-id="${ids[2]}"] a`).click();
  await until(async () => (await consoleThread(page)).some((m) => m.body === 'Hello 2'), { what: 'conversation 2' });
  await page.locator(`.c-row-item[data-id="${ids[1]}"] a`).click();
  await until(async () => (await consoleThread(page)).some((m) => m.body === 'Reply before the restart'), { what: 'conversation 1' });

  await env.server.stop();
  await until(() => page.evaluate(() => document.getElementById('conn')?.dataset.state === 'connecting'), { what: 'the console reconnecting' });
  for (let i = 1; i <= 3; i++) {
    const input = visitors[i - 1].frame.locator('#ld-input');
    await input.fill(`Offline ${i}a`);
    await input.press('Enter');
    await input.fill(`Offline ${i}b`);
    await input.press('Enter');
  }
  await page.locator('#composer').fill('Agent reply while offline');
  await page.locator('#composer').press('Enter');
  await page.locator('#thread li.c-pending', { hasText: 'Agent reply while offline' }).waitFor();

  await env.server.start();
  // A new visitor right after the restart: in the list whether or not the console was back.
  const late = await env.context();
  await late.page.goto(env.host.origin + '/late');
  const lf = await openWidget(late.page);
  await lf.locator('#ld-input').fill('Hello late');
  await lf.locator('#ld-input').press('Enter');

  await until(() => page.evaluate(() => document.getElementById('conn')?.dataset.state === 'open'), { timeout: 40000, what: 'the console back' });
  // Every offline message stored once, in order.
  for (let i = 1; i <= 3; i++) {
    await until(async () => (await history(ids[i])).filter((m) => m.body.startsWith('Offline')).length === 2, { timeout: 40000, what: `offline messages ${i}` });
    const bodies = (await history(ids[i])).map((m) => m.body);
    assert.deepEqual(bodies.filter((b) => b.startsWith('Offline')), [`Offline ${i}a`, `Offline ${i}b`]);
  }
  await until(async () => (await history(ids[1])).some((m) => m.body === 'Agent reply while offline'), { what: 'the agent reply stored' });
  assert.equal((await history(ids[1])).filter((m) => m.body === 'Agent reply while offline').length, 1);

  // The open view: exactly the stored history, nothing pending.
  await until(() => sameAsStored(page, ids[1]), { timeout: 20000, what: 'conversation 1 complete in the console' });
  assert.equal(await page.locator('#thread li.c-pending').count(), 0);
  await visitors[0].frame.getByText('Agent reply while offline').waitFor();

  // The list: all four conversations, with the latest messages, without a reload.
  await until(async () => (await page.locator('#conversation-list .c-row-item').count()) === 4, { timeout: 20000, what: 'four rows' });
  await until(async () => /Offline 2b/.test(await page.locator(`.c-row-item[data-id="${ids[2]}"]`).innerText()), { what: 'conversation 2 preview' });

  // The other conversations open complete, once each.
  for (const i of [2, 3]) {
    await page.locator(`.c-row-item[data-id="${ids[i]}"] a`).click();
    await until(() => sameAsStored(page, ids[i]), { timeout: 20000, what: `conversation ${i} complete` });
  }
  assert.deepEqual(appErrors(env).filter((e) => !/WebSocket/.test(e)), []);
  await Promise.all([...visitors.map((v) => v.context.close()), late.context.close(), a.context.close()]);
});
