// Identity: a visitor the site signs in (a JWT signed with the inbox secret) keeps one contact
// and one history across browsers; an unsigned or badly signed identity claims nothing.

import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { after, before, test } from 'node:test';
import { openWidget, setup, shownMessages, snippetPage, until } from './harness.mjs';

const SECRET = 'inbox-identity-secret-for-the-e2e-tests';

/** What a site's backend does: an HS256 JWT over {sub, name, email, exp}. */
function sign(claims, secret = SECRET) {
  const b64 = (v) => Buffer.from(JSON.stringify(v)).toString('base64url');
  const body = `${b64({ alg: 'HS256', typ: 'JWT' })}.${b64({ exp: Math.floor(Date.now() / 1000) + 600, ...claims })}`;
  return `${body}.${createHmac('sha256', secret).update(body).digest('base64url')}`;
}

let env;
before(async () => { env = await setup({ inbox: { identity_secret: SECRET } }); });
after(async () => { await env?.teardown(); });

/** A page of the site for a signed-in user. */
function signedIn(path, token, extra = {}) {
  env.host.routes.set(path, snippetPage({
    livedesk: env.server.url,
    inbox: env.inbox.id,
    before: `<script>Livedesk('identify', ${JSON.stringify({ id: 'user-42', name: 'Jane Doe', email: 'jane@example.com', token, ...extra })});</script>`,
  }));
  return env.host.origin + path;
}

test('a signed identity follows the person to another browser, history included', async () => {
  const agent = await env.agentSocket();
  const laptop = await env.context();
  await laptop.page.goto(signedIn('/account', sign({ sub: 'user-42', name: 'Jane Doe', email: 'jane@example.com' })));
  const f1 = await openWidget(laptop.page);
  await f1.locator('#ld-input').fill('Written on my laptop');
  await f1.locator('#ld-input').press('Enter');
  const first = await agent.message('Written on my laptop');
  assert.equal(first.author.kind, 'contact');

  // Another browser: a new anonymous visitor at first, switched to Jane's contact by the token.
  const phone = await env.context();
  await phone.page.goto(signedIn('/account2', sign({ sub: 'user-42', name: 'Jane Doe' })));
  const f2 = await openWidget(phone.page);
  await until(async () => (await shownMessages(f2)).some((m) => m.body === 'Written on my laptop'), { what: 'the history on the second browser' });
  await f2.locator('#ld-input').fill('And now from my phone');
  await f2.locator('#ld-input').press('Enter');
  const second = await agent.message('And now from my phone');
  assert.equal(second.conversation_id, first.conversation_id);
  assert.equal(second.author.id, first.author.id, 'the same contact');
});

test('an identity with a bad signature is refused and claims no history', async () => {
  const agent = await env.agentSocket();
  const { page } = await env.context();
  const warnings = [];
  page.on('console', (m) => { if (m.type() === 'warning') warnings.push(m.text()); });
  await page.goto(signedIn('/forged', sign({ sub: 'user-42' }, 'not-the-secret')));
  const frame = await openWidget(page);
  await until(() => warnings.some((w) => w.includes('identify was refused')), { what: 'the refusal' });
  assert.deepEqual(await shownMessages(frame), [], 'no one else\'s history');
  await frame.locator('#ld-input').fill('Anonymous after all');
  await frame.locator('#ld-input').press('Enter');
  const m = await agent.message('Anonymous after all');
  const jane = agent.frames.find((f) => f.type === 'message.created' && f.message.body === 'Written on my laptop');
  assert.notEqual(m.author.id, jane?.message.author.id);
});
