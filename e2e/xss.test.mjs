// 4. Markup in names, settings, form labels, attributes and messages is text on both sides:
// nothing is parsed as HTML, `javascript:` never becomes a link, and no dialog ever opens.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { api, AgentSocket, openWidget, setup, shownMessages, snippetPage } from './harness.mjs';

const X = {
  img: `<img src=x onerror="alert('img')">`,
  script: '<script>alert("script")</script>',
  svg: '<svg onload=alert("svg")>',
  js: 'javascript:alert("js")',
  md: '[click me](javascript:alert("md"))',
  a: '<a href="javascript:alert(1)">link</a>',
  entity: '&lt;b&gt;not bold&lt;/b&gt; &amp;',
};

let env;
before(async () => {
  env = await setup({
    inboxName: `${X.img} Support`,
    inbox: {
      greeting: `Hi ${X.script} ${X.js}`,
      prechat_fields: [
        { key: 'name', label: `Name ${X.img}`, kind: 'text', required: true },
        { key: 'company', label: X.svg, kind: 'text', required: false },
      ],
    },
  });
});
after(async () => { await env?.teardown(); });

test('markup from every side is shown as text and never runs', async () => {
  // An agent whose display name is markup (a member of the inbox: agents hear only the inboxes they work).
  const mallory = await env.api('POST', '/api/v1/agents', { body: { email: 'mallory@example.com', name: X.img, role: 'agent', password: 'mallory password' } });
  await env.api('PATCH', `/api/v1/agents/${mallory.id}`, { body: { inbox_ids: [env.inbox.id] } });
  const login = await api(env.server.url, 'POST', '/api/v1/auth/login', { body: { email: 'mallory@example.com', password: 'mallory password' } });
  const agent = await AgentSocket.connect(env.server.url, login.token);
  // Online, so the widget greets rather than shows its away message.
  await api(env.server.url, 'PATCH', '/api/v1/me', { token: login.token, body: { status: 'online' } });

  // The host page passes markup through the JS API, queued before the loader runs.
  const js = (v) => JSON.stringify(v).replace(/</g, '\\u003c');
  env.host.routes.set('/xss', snippetPage({
    livedesk: env.server.url,
    inbox: env.inbox.id,
    before: `<script>Livedesk('identify', {name: ${js(X.script)}, email: 'visitor@example.com'});
      Livedesk('setAttributes', {plan: ${js(X.img)}, note: ${js(X.js)}});</script>`,
  }));
  const { page, dialogs } = await env.context();
  const contacts = [];
  page.on('response', async (r) => {
    if (r.url().endsWith('/api/v1/widget/contact') && r.ok()) contacts.push(await r.json());
  });
  await page.goto(env.host.origin + '/xss');
  const frame = await openWidget(page).catch(async () => {
    // The composer is behind the pre-chat form: wait for the form instead.
    return page.frames().find((f) => f.url().includes('/widget/frame'));
  });

  // Settings and labels are text.
  assert.equal(await frame.locator('.ld-title').innerText(), `${X.img} Support`);
  assert.equal(await frame.locator('.ld-intro').innerText(), `Hi ${X.script} ${X.js}`);
  const form = frame.locator('.ld-prechat');
  await form.waitFor();
  assert.equal(await form.locator('label').first().innerText(), `Name ${X.img} *`);
  await form.getByLabel(`Name ${X.img}`).fill(X.svg);
  await form.getByLabel(X.svg).fill(X.a);
  await form.getByRole('button', { name: 'Start chat' }).click();

  const input = frame.locator('#ld-input');
  await input.waitFor({ state: 'visible' });
  const sent = [X.img, X.script, X.js, X.md, X.a, X.entity];
  for (const body of sent) {
    await input.fill(body);
    await input.press('Enter');
  }
  // The agent gets the exact characters.
  const got = [];
  for (const body of sent) got.push(await agent.message(body));
  assert.deepEqual(got.map((m) => m.body), sent);
  // Names and attributes are stored as typed (the contact the server returned).
  const contact = contacts.at(-1);
  assert.equal(contact.name, X.svg);
  assert.deepEqual(contact.attributes, { plan: X.img, note: X.js, company: X.a });

  // The agent answers with markup and one real link.
  const reply = `${X.img} ${X.svg} ${X.js} ${X.md} see https://example.com/help?q=<b>&x=1 or mailto:help@example.com`;
  await agent.say(got[0].conversation_id, reply);
  const them = frame.locator('.ld-them').last();
  await them.waitFor();
  assert.equal(await them.locator('.ld-body').innerText(), reply);
  assert.equal(await them.locator('.ld-author').innerText(), X.img);

  // Every shown message is the text that was sent.
  const shown = (await shownMessages(frame)).map((m) => m.body);
  assert.deepEqual(shown, [...sent, reply]);

  // Nothing became markup: no images, scripts, event handlers; only http(s)/mailto links.
  // Barrier for the handlers: an image of the payload's own URL fails in the widget's frame; a
  // payload image parsed there (even detached) started earlier and failed, running its
  // handler, no later than this one.
  const failed = () => new Promise((resolve) => {
    const probe = new Image();
    probe.onerror = probe.onload = () => resolve(true);
    probe.src = 'x';
  });
  assert.equal(await frame.evaluate(failed), true);
  assert.equal(await frame.locator('.ld-app img, .ld-app script, .ld-app iframe, .ld-app object').count(), 0);
  assert.equal(await frame.locator('[onerror], [onload], [onclick]').count(), 0);
  const hrefs = await frame.locator('.ld-app a').evaluateAll((as) => as.map((a) => a.getAttribute('href')));
  assert.deepEqual(hrefs, ['https://example.com/help?q=', 'mailto:help@example.com'], 'a link ends where markup starts');
  assert.deepEqual(await page.locator('livedesk-widget').evaluate((el) => el.shadowRoot.querySelectorAll('img, script').length), 0);
  assert.deepEqual(dialogs, [], 'no dialog opened');
  // The only console error is the probe's 404: a payload image would have added its own.
  assert.deepEqual(env.errors, ['Failed to load resource: the server responded with a status of 404 (Not Found)']);
  agent.close();
});
