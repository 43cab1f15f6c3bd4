// The pre-chat form (fields per inbox, stored on the contact) and the away state (no agent
// online: the visitor leaves a message and an e-mail address).

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { openWidget, setup, until, widgetFrame } from './harness.mjs';

let env;
before(async () => {
  env = await setup({
    inbox: {
      away_message: 'We are out until 9:00. Leave a message!',
      prechat_fields: [
        { key: 'name', label: 'Your name', kind: 'text', required: true },
        { key: 'email', label: 'E-mail', kind: 'email', required: true },
        { key: 'order', label: 'Order number', kind: 'text', required: false },
      ],
    },
  });
});
after(async () => { await env?.teardown(); });

test('the pre-chat form checks its fields and stores them on the contact; the away form takes an e-mail', async () => {
  const { page } = await env.context();
  const contacts = [];
  page.on('response', async (r) => { if (r.url().endsWith('/widget/contact') && r.ok()) contacts.push(await r.json()); });
  await page.goto(env.host.origin + '/');
  await page.locator('livedesk-widget button').click();
  const frame = await widgetFrame(page);
  const form = frame.locator('.ld-prechat');
  await form.waitFor();
  assert.equal(await frame.locator('#ld-input').isVisible(), false, 'the composer waits for the form');
  // No agent online: the away message replaces the greeting.
  assert.equal(await frame.locator('.ld-intro').innerText(), 'We are out until 9:00. Leave a message!');

  await form.getByRole('button', { name: 'Start chat' }).click();
  assert.equal(await form.locator('#ld-f0-e').innerText(), 'Your name is required.');
  assert.equal(await form.getByLabel('Your name').getAttribute('aria-invalid'), 'true');
  assert.equal(await frame.evaluate(() => document.activeElement?.id), 'ld-f0', 'focus on the first wrong field');
  await form.getByLabel('Your name').fill('Jane');
  await form.getByLabel('E-mail').fill('not an address');
  await form.getByRole('button', { name: 'Start chat' }).click();
  assert.equal(await form.locator('#ld-f1-e').innerText(), 'Please enter a valid email address.');
  await form.getByLabel('E-mail').fill('jane@example.com');
  await form.getByLabel('Order number').fill('1042');
  await form.getByRole('button', { name: 'Start chat' }).click();
  await frame.locator('#ld-input').waitFor();
  assert.deepEqual(
    { name: contacts.at(-1).name, email: contacts.at(-1).email, attributes: contacts.at(-1).attributes },
    { name: 'Jane', email: 'jane@example.com', attributes: { order: '1042' } },
  );
  // The address is known: the away form thanks instead of asking.
  await until(async () => (await frame.locator('.ld-away-thanks').innerText()) === "Thanks! We'll reply to jane@example.com.", { what: 'the away thanks' });

  // The message left while away becomes a conversation the agents see.
  await frame.locator('#ld-input').fill('Please call me back');
  await frame.locator('#ld-input').press('Enter');
  await until(async () => {
    const list = await env.api('GET', '/api/v1/conversations');
    for (const c of list.conversations) {
      const page = await env.api('GET', `/api/v1/conversations/${c.id}/messages?after_seq=0`);
      if (page.messages.some((m) => m.body === 'Please call me back')) return true;
    }
    return false;
  }, { what: 'the conversation at the agents' });

  // A reload does not ask again.
  await page.reload();
  const f2 = await openWidget(page);
  assert.equal(await f2.locator('.ld-prechat').count(), 0);
});

test('away, a visitor without a pre-chat form leaves an e-mail address', async () => {
  await env.api('PATCH', `/api/v1/inboxes/${env.inbox.id}`, { body: { prechat_fields: [] } });
  const { page } = await env.context();
  const patches = [];
  page.on('request', (r) => { if (r.url().endsWith('/widget/contact')) patches.push(JSON.parse(r.postData())); });
  await page.goto(env.host.origin + '/');
  const frame = await openWidget(page);
  const email = frame.getByLabel('Your email');
  await email.fill('sam@');
  await frame.getByRole('button', { name: 'Save' }).click();
  assert.equal(await frame.locator('#ld-away-e').innerText(), 'Please enter a valid email address.');
  await email.fill('sam@example.com');
  await frame.getByRole('button', { name: 'Save' }).click();
  await frame.getByText("Thanks! We'll reply to sam@example.com.").waitFor();
  assert.deepEqual(patches, [{ email: 'sam@example.com' }]);
});
