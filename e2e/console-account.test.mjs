// Agent console, accounts and navigation: first-run setup, a session that ends elsewhere
// (back to sign-in, same URL), password change, keyboard shortcuts, and admin settings
// (a new agent, the inbox snippet).

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { api, appErrors, consoleLogin, consoleThread, createAgent, launch, openWidget, PASSWORD, request, Server, setup, until } from './harness.mjs';

let env, alex;
before(async () => {
  env = await setup({ env: { LIVEDESK_LIMITS__HEARTBEAT_SECS: '2' } });
  alex = await createAgent(env, { name: 'Alex', email: 'alex@example.com' });
});
after(async () => { await env?.teardown(); });

test('first-run setup creates the workspace and signs the admin in', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'livedesk-e2e-'));
  const server = await new Server(dir).start();
  const browser = await launch();
  try {
    const token = /setup token (\S+)/.exec(server.log)?.[1];
    assert.ok(token, 'the server printed a setup token');
    const page = await browser.newPage();
    await page.goto(server.url + '/app');
    await page.locator('a[href="/app/setup"]').click();
    await page.locator('#setup-token').fill('wrong-token');
    await page.locator('#setup-name').fill('Ada');
    await page.locator('#setup-email').fill('ada@example.com');
    await page.locator('#setup-password').fill(PASSWORD);
    await page.locator('#setup-password').press('Enter');
    await page.locator('.c-error', { hasText: 'Setup is not available' }).waitFor();
    await page.locator('#setup-token').fill(token);
    await page.locator('#setup-password').press('Enter');
    await page.locator('.c-top').waitFor();
    await page.waitForURL(/\/app\/settings\/inboxes$/);
    assert.match(await page.locator('.c-me').innerText(), /Ada · admin/);
    const again = await request(server.url, 'POST', '/api/v1/setup', { body: { token, workspace_name: 'X', email: 'x@example.com', name: 'X', password: PASSWORD } });
    assert.equal(again.status, 403);
  } finally {
    await browser.close();
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a session ended elsewhere goes back to sign-in on the same URL; signing in continues there', async () => {
  const ctx = await env.context();
  const frame = await (async () => { await ctx.page.goto(env.host.origin + '/'); return openWidget(ctx.page); })();
  await frame.locator('#ld-input').fill('Still there?');
  await frame.locator('#ld-input').press('Enter');
  const id = await until(async () => (await env.api('GET', '/api/v1/conversations')).conversations[0]?.id, { what: 'a conversation' });
  const a = await consoleLogin(env, alex.email, { path: '/app/conversations/' + id });
  await until(async () => (await consoleThread(a.page)).some((m) => m.body === 'Still there?'), { what: 'the thread' });

  // "Sign out everywhere" from another device.
  const other = await api(env.server.url, 'POST', '/api/v1/auth/login', { body: { email: alex.email, password: PASSWORD } });
  const out = await request(env.server.url, 'POST', '/api/v1/auth/logout-all', { token: other.token });
  assert.equal(out.status, 204);
  await a.page.locator('#session-ended').waitFor({ timeout: 20000 });
  assert.ok(a.page.url().endsWith('/app/conversations/' + id), 'the URL is kept');
  await a.page.locator('#login-email').fill(alex.email);
  await a.page.locator('#login-password').fill(PASSWORD);
  await a.page.locator('#login-password').press('Enter');
  await until(async () => (await consoleThread(a.page)).some((m) => m.body === 'Still there?'), { what: 'back in the conversation' });

  // Change password (Settings → My account): the new one works, the old one does not.
  await a.page.goto(env.server.url + '/app/settings/account');
  await a.page.locator('#pw-current').fill(PASSWORD);
  await a.page.locator('#pw-new').fill('a much better password');
  await a.page.locator('#pw-new').press('Enter');
  await a.page.locator('.c-saved', { hasText: 'Password changed.' }).waitFor();
  assert.equal((await request(env.server.url, 'POST', '/api/v1/auth/login', { body: { email: alex.email, password: PASSWORD } })).status, 401);
  const fresh = await api(env.server.url, 'POST', '/api/v1/auth/login', { body: { email: alex.email, password: 'a much better password' } });
  await api(env.server.url, 'POST', '/api/v1/auth/password', { token: fresh.token, body: { current_password: 'a much better password', new_password: PASSWORD } });
  await Promise.all([ctx.context.close(), a.context.close()]);
});

test('keyboard: j/k move through the list, a assigns, r resolves, ? shows the shortcuts', async () => {
  for (const p of ['/k1', '/k2']) {
    const v = await env.context();
    await v.page.goto(env.host.origin + p);
    const f = await openWidget(v.page);
    await f.locator('#ld-input').fill('Keyboard ' + p);
    await f.locator('#ld-input').press('Enter');
  }
  const a = await consoleLogin(env, 'admin@example.com');
  await a.page.locator('button[data-view="unassigned"]').click();
  await until(async () => (await a.page.locator('#conversation-list .c-row-item').count()) >= 2, { what: 'two rows' });
  const ids = await a.page.locator('#conversation-list .c-row-item').evaluateAll((lis) => lis.map((li) => li.getAttribute('data-id')));
  await a.page.locator('body').click({ position: { x: 5, y: 300 } });
  await a.page.keyboard.press('j');
  await a.page.waitForURL('**/app/conversations/' + ids[0]);
  await a.page.locator('#composer').waitFor();
  await a.page.locator('#composer').blur();
  await a.page.keyboard.press('j');
  await a.page.waitForURL('**/app/conversations/' + ids[1]);
  await a.page.locator('#composer').waitFor();
  await a.page.locator('#composer').blur();
  await a.page.keyboard.press('k');
  await a.page.waitForURL('**/app/conversations/' + ids[0]);
  await a.page.locator('#composer').waitFor();
  await a.page.locator('#composer').blur();
  await a.page.keyboard.press('?');
  await a.page.locator('#help').waitFor({ state: 'visible' });
  assert.match(await a.page.locator('#help').innerText(), /Resolve the open conversation/);
  await a.page.keyboard.press('Escape');
  await a.page.locator('#help').waitFor({ state: 'hidden' });
  await a.page.keyboard.press('a');
  await until(async () => (await env.api('GET', '/api/v1/conversations/' + ids[0])).assignee_id === env.agent.id, { what: 'assigned by "a"' });
  await a.page.keyboard.press('r');
  await until(async () => (await env.api('GET', '/api/v1/conversations/' + ids[0])).status === 'resolved', { what: 'resolved by "r"' });
  await until(async () => (await a.page.locator('#conv-status').innerText()) === 'Resolved', { what: 'shown as resolved' });
  await a.context.close();
});

test('admin settings: add an agent with an inbox; the inbox page shows the widget snippet', async () => {
  const a = await consoleLogin(env, 'admin@example.com', { path: '/app/settings/agents' });
  await a.page.locator('#na-name').fill('Cleo');
  await a.page.locator('#na-email').fill('cleo@example.com');
  await a.page.locator('#na-password').fill(PASSWORD);
  await a.page.locator('#new-agent input[name="ninb"]').first().check();
  await a.page.locator('#new-agent button[type="submit"]').click();
  await a.page.locator('#agent-table tr', { hasText: 'cleo@example.com' }).waitFor();
  const cleo = await api(env.server.url, 'POST', '/api/v1/auth/login', { body: { email: 'cleo@example.com', password: PASSWORD } });
  const inboxes = await api(env.server.url, 'GET', '/api/v1/inboxes', { token: cleo.token });
  assert.deepEqual((Array.isArray(inboxes) ? inboxes : inboxes.inboxes).map((i) => i.id), [env.inbox.id]);

  await a.page.locator('a[data-section="inboxes"]').click();
  const snippet = await a.page.locator('#snippet').innerText();
  assert.equal(snippet, `<script src="${env.server.url}/widget/loader.js" data-inbox="${env.inbox.id}" async></script>`);
  await a.page.locator('#copy-snippet').click();
  await until(async () => /Copied|Ctrl\+C/.test(await a.page.locator('#copy-snippet').innerText()), { what: 'copy feedback' });

  // A plain agent sees only their own settings.
  const b = await consoleLogin(env, alex.email, { path: '/app/settings/agents' });
  assert.deepEqual(await b.page.locator('.c-settings-page nav a').allInnerTexts(), ['My account', 'Notifications']);
  assert.equal(await b.page.locator('#agent-table').count(), 0);
  assert.deepEqual(appErrors(env), []);
  await Promise.all([a.context.close(), b.context.close()]);
});

test('markup in names, messages and canned responses is text in the console, and never runs', async () => {
  const X = `<img src=x onerror="alert('x')">`;
  await createAgent(env, { name: 'Mal ' + X, email: 'mal@example.com' });
  await env.api('POST', '/api/v1/canned-responses', { body: { shortcut: 'xss', title: 'T ' + X, body: 'B ' + X + ' {{contact.name}}' } });
  const v = await env.context();
  await v.page.goto(env.host.origin + '/xss');
  const frame = await openWidget(v.page);
  await v.page.evaluate((x) => window.Livedesk('identify', { name: 'N ' + x, email: 'n@example.com' }), X);
  await until(async () => ((await env.api('GET', '/api/v1/visitors')).visitors || []).some((x) => x.name === 'N ' + X), { what: 'the visitor named' });
  await frame.locator('#ld-input').fill('M ' + X + ' <script>alert(1)</script>');
  await frame.locator('#ld-input').press('Enter');
  const a = await consoleLogin(env, 'admin@example.com');
  await a.page.locator('button[data-view="all"]').click();
  const row = a.page.locator('#conversation-list .c-row-item', { hasText: 'N <img' });
  await row.waitFor();
  await row.locator('a').click();
  await until(async () => (await consoleThread(a.page)).some((m) => m.body === 'M ' + X + ' <script>alert(1)</script>'), { what: 'the message as text' });
  await until(async () => (await a.page.locator('#conv-name').innerText()) === 'N ' + X, { what: 'the name as text' });
  await a.page.locator('#composer').pressSequentially('/xss');
  await a.page.locator('#canned-picker').waitFor({ state: 'visible' });
  await a.page.locator('#composer').press('Enter');
  assert.equal(await a.page.locator('#composer').inputValue(), 'B ' + X + ' N ' + X);
  await a.page.locator('#composer').press('Enter');
  await frame.locator('.ld-them .ld-body', { hasText: 'B <img' }).waitFor();
  assert.match(await a.page.locator('.c-team').innerText(), /Mal <img src=x/);
  assert.equal(await a.page.locator('#thread img, .c-row img, #customer img, .c-team img').count(), 0, 'no element came from markup');
  assert.deepEqual(a.dialogs, []);
  assert.deepEqual(v.dialogs, []);
  await Promise.all([a.context.close(), v.context.close()]);
});

test('presence: away by itself after the idle minutes set in Notifications, online again on activity', async () => {
  // 0.1 minutes idle (6 s), stored the way the Notifications page stores it.
  const a = await consoleLogin(env, alex.email, { init: `localStorage.setItem('livedesk.console.settings.${alex.id}', JSON.stringify({ autoAwayMinutes: 0.1 }))` });
  // A token of its own: an earlier test signed Alex out everywhere.
  const { token } = await api(env.server.url, 'POST', '/api/v1/auth/login', { body: { email: alex.email, password: PASSWORD } });
  await a.page.locator('#presence').selectOption('online');
  await until(async () => (await api(env.server.url, 'GET', '/api/v1/me', { token })).agent.status === 'online', { what: 'online' });
  await until(async () => (await a.page.locator('#presence').inputValue()) === 'away', { timeout: 30000, what: 'away after idling' });
  await until(async () => (await api(env.server.url, 'GET', '/api/v1/me', { token })).agent.status === 'away', { what: 'away on the server' });
  await a.page.mouse.move(200, 300);
  await a.page.mouse.move(220, 320);
  await until(async () => (await a.page.locator('#presence').inputValue()) === 'online', { what: 'online again' });
  await until(async () => (await api(env.server.url, 'GET', '/api/v1/me', { token })).agent.status === 'online', { what: 'online on the server' });
  // Set by hand, away stays away whatever the agent does.
  await a.page.locator('#presence').selectOption('away');
  await a.page.mouse.move(10, 10);
  await a.page.keyboard.press('Shift');
  await until(async () => (await api(env.server.url, 'GET', '/api/v1/me', { token })).agent.status === 'away', { what: 'away by hand' });
  assert.equal(await a.page.locator('#presence').inputValue(), 'away');
  await a.context.close();
});

test('admin settings: deactivating an agent signs them out at once and keeps them out until reactivated; "sign out everywhere" ends their sessions', async () => {
  const dora = await createAgent(env, { name: 'Dora', email: 'dora@example.com' });
  const d = await consoleLogin(env, dora.email);
  const a = await consoleLogin(env, 'admin@example.com', { path: '/app/settings/agents' });
  const row = a.page.locator(`#agent-table tr[data-agent="${dora.id}"]`);
  await row.locator('.c-deactivate').click();
  await until(async () => (await row.locator('.c-deactivate').innerText()) === 'Confirm deactivation', { what: 'a confirmation step' });
  await row.locator('.c-deactivate').click();

  // Dora's console is back at sign-in, and signing in says why it cannot.
  await d.page.locator('#login-email').waitFor();
  await d.page.locator('#login-email').fill(dora.email);
  await d.page.locator('#login-password').fill(PASSWORD);
  await d.page.locator('#login-password').press('Enter');
  await d.page.locator('.c-error', { hasText: 'deactivated' }).waitFor();
  await until(async () => /deactivated/.test(await row.innerText()), { what: 'the row says deactivated' });
  assert.equal((await env.api('GET', '/api/v1/agents')).agents.find((x) => x.id === dora.id).active, false);

  await row.locator('.c-deactivate', { hasText: 'Reactivate' }).click();
  await until(async () => (await request(env.server.url, 'POST', '/api/v1/auth/login', { body: { email: dora.email, password: PASSWORD } })).status === 200, { what: 'Dora can sign in again' });

  // "Sign out everywhere" from the admin's settings.
  const again = await consoleLogin(env, dora.email);
  await row.locator('.c-end-sessions').click();
  await again.page.locator('#login-email').waitFor();
  await d.context.close();
  await again.context.close();
  await a.context.close();
});
