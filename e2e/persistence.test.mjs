// 2. Reloads and navigations of the host site keep the same conversation with its full
// history; SPA navigations are reported as page views; a resolved conversation offers a new one.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { openWidget, setup, shownMessages, until, widgetFrame } from './harness.mjs';

let env;
before(async () => { env = await setup(); });
after(async () => { await env?.teardown(); });

const bodies = async (frame) => (await shownMessages(frame)).map((m) => m.body);

test('the conversation and its full history survive reloads and navigations', async () => {
  const agent = await env.agentSocket();
  const { page } = await env.context();
  await page.goto(env.host.origin + '/');
  let frame = await openWidget(page);
  const input = frame.locator('#ld-input');
  await input.fill('First question');
  await input.press('Enter');
  const first = await agent.message('First question');
  await agent.say(first.conversation_id, 'First answer');
  await frame.getByText('First answer').waitFor();

  await page.reload();
  frame = await widgetFrame(page);
  // The history is there before the widget is even opened.
  await frame.getByText('First answer').waitFor({ state: 'attached' });
  frame = await openWidget(page);
  assert.deepEqual(await bodies(frame), ['First question', 'First answer']);
  await frame.locator('#ld-input').fill('Second question');
  await frame.locator('#ld-input').press('Enter');
  const second = await agent.message('Second question');
  assert.equal(second.conversation_id, first.conversation_id, 'same conversation after a reload');

  await page.goto(env.host.origin + '/products/42');
  frame = await openWidget(page);
  await until(async () => (await bodies(frame)).length === 3, { what: 'history after navigation' });
  assert.deepEqual(await bodies(frame), ['First question', 'First answer', 'Second question']);
  await agent.say(first.conversation_id, 'Second answer');
  await frame.getByText('Second answer').waitFor();

  const conversations = await env.api('GET', '/api/v1/conversations');
  const theirs = conversations.conversations.filter((c) => c.contact_id === first.author.id);
  assert.deepEqual(theirs.map((c) => c.id), [first.conversation_id], 'one conversation for this visitor');
});

test('page views are reported on load and on history API navigations', async () => {
  const agent = await env.agentSocket();
  const { page } = await env.context();
  await page.goto(env.host.origin + '/pricing');
  const frame = await openWidget(page);
  await frame.locator('#ld-input').fill('About pricing');
  await frame.locator('#ld-input').press('Enter');
  await agent.message('About pricing');
  const viewOf = (suffix) => (f) => f.type === 'contact.page_view' && f.page.url === env.host.origin + suffix;
  const landing = await agent.wait(viewOf('/pricing'), 15000, 'page view of /pricing');
  assert.equal(landing.page.title, 'Shop /pricing');

  await page.evaluate(() => { history.pushState({}, '', '/pricing/teams'); document.title = 'Teams'; });
  const pushed = await agent.wait(viewOf('/pricing/teams'), 15000, 'page view after pushState');
  assert.equal(pushed.page.referrer, env.host.origin + '/pricing');
  await page.evaluate(() => history.replaceState({}, '', '/pricing/enterprise'));
  await agent.wait(viewOf('/pricing/enterprise'), 15000, 'page view after replaceState');
  await page.goBack();
  await agent.wait((f) => viewOf('/pricing')(f) && f !== landing, 15000, 'page view after popstate');
});

test('after the agent resolves the conversation the visitor can start a new one', async () => {
  const agent = await env.agentSocket();
  const { page } = await env.context();
  await page.goto(env.host.origin + '/');
  const frame = await openWidget(page);
  await frame.locator('#ld-input').fill('Please close this');
  await frame.locator('#ld-input').press('Enter');
  const old = await agent.message('Please close this');
  await env.api('PATCH', `/api/v1/conversations/${old.conversation_id}`, { body: { status: 'resolved' } });
  const again = frame.getByRole('button', { name: 'Start a new conversation' });
  await again.waitFor();
  assert.equal(await frame.locator('#ld-input').isVisible(), false, 'no composer under a resolved conversation');
  await again.click();
  await frame.locator('#ld-input').fill('A new topic');
  await frame.locator('#ld-input').press('Enter');
  const fresh = await agent.message('A new topic');
  assert.notEqual(fresh.conversation_id, old.conversation_id);
  assert.deepEqual(await bodies(frame), ['A new topic']);

  // After a reload the newest conversation is the one shown.
  await page.reload();
  const f2 = await openWidget(page);
  await until(async () => (await bodies(f2)).join() === 'A new topic', { what: 'the new conversation after reload' });
});
