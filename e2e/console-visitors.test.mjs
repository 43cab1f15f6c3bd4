// Agent console, live visitors: who is on the site shows up (and goes) live, with their page;
// "Start chat" opens a conversation assigned to the agent whose first message reaches the
// visitor's widget.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { appErrors, consoleLogin, consoleThread, createAgent, openWidget, setup, shownMessages, until } from './harness.mjs';

let env, alex;
before(async () => {
  env = await setup();
  alex = await createAgent(env, { name: 'Alex', email: 'alex@example.com' });
});
after(async () => { await env?.teardown(); });

test('a proactive chat from the live visitors list reaches the visitor\'s widget', async () => {
  const a = await consoleLogin(env, alex.email, { path: '/app/visitors' });
  await a.page.locator('#no-visitors').waitFor();

  // A visitor arrives (their widget connects) on the pricing page.
  const v = await env.context();
  await v.page.goto(env.host.origin + '/pricing');
  const frame = await openWidget(v.page);
  const row = a.page.locator('#visitor-rows tr').first();
  await row.waitFor();
  await until(async () => /Shop \/pricing/.test(await row.locator('.c-visitor-page').innerText()), { what: 'the current page' });
  assert.match(await row.innerText(), /Not chatted/);
  const contact = await row.getAttribute('data-contact');
  assert.equal(await a.page.locator('#visitor-count').innerText(), '1');

  // Start chat → first message → the conversation opens, assigned to Alex.
  await row.locator('.c-start-chat').click();
  await row.locator('.c-first-message').fill('Hi! Need a hand choosing a plan?');
  await row.locator('.c-first-message').press('Enter');
  await a.page.waitForURL(/\/app\/conversations\/[0-9a-f-]+$/);
  const id = a.page.url().split('/').pop();
  await until(async () => (await consoleThread(a.page)).some((m) => m.body === 'Hi! Need a hand choosing a plan?' && m.seq > 0), { what: 'sent and acked' });
  assert.equal(await a.page.locator('#assign').inputValue(), alex.id);
  const conv = await env.api('GET', '/api/v1/conversations/' + id);
  assert.equal(conv.contact_id, contact);
  assert.equal(conv.assignee_id, alex.id);

  // The visitor's open widget shows it, and the visitor can answer.
  await frame.locator('.ld-them .ld-body', { hasText: 'Hi! Need a hand choosing a plan?' }).waitFor();
  await frame.locator('#ld-input').fill('Yes, what is in Pro?');
  await frame.locator('#ld-input').press('Enter');
  await until(async () => (await consoleThread(a.page)).some((m) => m.body === 'Yes, what is in Pro?'), { what: 'the answer' });
  assert.deepEqual((await shownMessages(frame)).map((m) => m.body), ['Hi! Need a hand choosing a plan?', 'Yes, what is in Pro?']);

  // The list now says they chatted; when they leave, they go from it.
  await a.page.locator('.c-nav a[data-route="visitors"]').click();
  await until(async () => /Open chat/.test(await a.page.locator(`#visitor-rows tr[data-contact="${contact}"]`).innerText()), { what: '"Open chat"' });
  await v.context.close();
  await until(async () => (await a.page.locator(`#visitor-rows tr[data-contact="${contact}"]`).count()) === 0, { what: 'the visitor gone' });
  await a.page.locator('#no-visitors').waitFor();
  assert.deepEqual(appErrors(env), []);
  await a.context.close();
});
