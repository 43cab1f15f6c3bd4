// Makes docs/screenshots/console-{conversation,list,visitors,settings,tablet,queue}.png:
// `npm run screenshots:console` (needs target/debug/livedesk and /usr/bin/chromium).

import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { consoleLogin, createAgent, openWidget, ROOT, setup, shownMessages, until } from './harness.mjs';

const out = path.join(ROOT, 'docs/screenshots');
mkdirSync(out, { recursive: true });
const env = await setup({ inboxName: 'Oak & Thread', adminName: 'Anna Berg' });
try {
  const alex = await createAgent(env, { name: 'Alex Kim', email: 'alex@example.com' });
  await createAgent(env, { name: 'Bo Lind', email: 'bo@example.com' });
  for (const [name, color] of [['vip', '#8250df'], ['billing', '#1f883d'], ['shipping', '#bf8700']]) {
    await env.api('POST', '/api/v1/labels', { body: { name, color } });
  }
  await env.api('POST', '/api/v1/teams', { body: { name: 'Billing', member_ids: [alex.id] } });
  await env.api('POST', '/api/v1/canned-responses', { body: { shortcut: 'hello', title: 'Greeting', body: 'Hi {{contact.name}}, {{agent.name}} here. How can I help?' } });
  await env.api('POST', '/api/v1/canned-responses', { body: { shortcut: 'ship', title: 'Shipping times', body: 'Orders ship within 24 hours; delivery takes 3–5 business days.' } });

  const people = [
    ['/products/linen-throw', 'Maria Lopez', 'maria@example.com', { plan: 'Pro', orders: 7 }, 'Hi! Is the linen throw machine-washable?'],
    ['/cart', 'Tom Becker', 'tom@example.com', { plan: 'Free' }, 'My discount code does not work at checkout'],
    ['/orders/1042', 'Priya Shah', 'priya@example.com', { plan: 'Business' }, 'Where is my order #1042?'],
    ['/pricing', null, null, {}, null],
  ];
  const visitors = [];
  for (const [p, name, email, attrs, text] of people) {
    const ctx = await env.context();
    await ctx.page.goto(env.host.origin + p);
    const frame = await openWidget(ctx.page);
    if (name) {
      await ctx.page.evaluate(([n, e, a]) => { window.Livedesk('identify', { name: n, email: e }); window.Livedesk('setAttributes', a); }, [name, email, attrs]);
      await until(async () => ((await env.api('GET', '/api/v1/visitors')).visitors || []).some((x) => x.name === name), { timeout: 30000, what: name });
    }
    if (text) {
      await frame.locator('#ld-input').fill(text);
      await frame.locator('#ld-input').press('Enter');
      await until(async () => (await shownMessages(frame)).some((m) => m.body === text && !m.pending));
    }
    visitors.push({ ...ctx, frame });
  }

  const a = await consoleLogin(env, alex.email);
  const { page } = a;
  await page.locator('#presence').selectOption('online');
  await page.locator('button[data-view="unassigned"]').click();
  await until(async () => (await page.locator('#conversation-list .c-row-item').count()) === 3);
  const rows = await page.locator('#conversation-list .c-row-item').evaluateAll((lis) => lis.map((li) => li.getAttribute('data-id')));
  for (const id of rows) {
    await page.locator(`.c-row-item[data-id="${id}"] a`).click();
    await page.locator('#assign-me').click();
    await until(async () => (await page.locator('#assign').inputValue()) === alex.id);
  }
  await page.locator('button[data-view="mine"]').click();
  // A conversation with some history: reply, labels, a note, the visitor typing.
  const maria = page.locator('#conversation-list .c-row-item', { hasText: 'Maria' });
  await maria.locator('a').click();
  await until(async () => (await page.locator('#customer-email').innerText()) === 'maria@example.com');
  await page.locator('#composer').fill('Hi Maria! Yes — 30 °C on a gentle cycle, and it softens with every wash.');
  await page.locator('#composer').press('Enter');
  await visitors[0].frame.getByText('gentle cycle').waitFor();
  await visitors[0].frame.locator('#ld-input').fill('Lovely. And do you ship to Canada?');
  await visitors[0].frame.locator('#ld-input').press('Enter');
  await page.locator('#mode-note').click();
  await page.locator('#composer').fill('Repeat customer — offer free shipping if she orders two.');
  await page.locator('#composer').press('Enter');
  await page.locator('#mode-reply').click();
  await page.locator('.c-labels-menu summary').click();
  await page.locator('.c-labels-menu label', { hasText: 'vip' }).locator('input').check();
  await page.keyboard.press('Escape');
  await page.locator('#priority').selectOption('high');
  await visitors[0].frame.locator('#ld-input').pressSequentially('Great, I will take the sage');
  await page.locator('#typing .c-typing-line').waitFor();
  await page.mouse.move(0, 0);
  await page.screenshot({ path: path.join(out, 'console-conversation.png') });

  // The list with filters: All, sorted by waiting time.
  await page.locator('button[data-view="all"]').click();
  await page.locator('#f-sort').selectOption('waiting');
  await page.screenshot({ path: path.join(out, 'console-list.png') });

  await page.locator('.c-nav a[data-route="visitors"]').click();
  await until(async () => (await page.locator('#visitor-rows tr').count()) === 4);
  await page.screenshot({ path: path.join(out, 'console-visitors.png') });

  const admin = await consoleLogin(env, 'admin@example.com', { path: '/app/settings/inboxes' });
  await admin.page.locator('#snippet').waitFor();
  await admin.page.screenshot({ path: path.join(out, 'console-settings.png') });

  const tablet = await consoleLogin(env, alex.email, { viewport: { width: 820, height: 1100 }, path: '/app/conversations/' + rows[0] });
  await tablet.page.locator('#composer').waitFor();
  await tablet.page.screenshot({ path: path.join(out, 'console-tablet.png') });
  // Two more visitors wait in the queue (nobody has taken them yet); an admin's Queue view.
  for (const [p, name, email, text] of [
    ['/checkout', 'Lena Fischer', 'lena@example.com', 'Can I still change the delivery address?'],
    ['/returns', 'Omar Haddad', 'omar@example.com', 'How do I return a gift?'],
  ]) {
    const ctx = await env.context();
    await ctx.page.goto(env.host.origin + p);
    const frame = await openWidget(ctx.page);
    await ctx.page.evaluate(([n, e]) => window.Livedesk('identify', { name: n, email: e }), [name, email]);
    await until(async () => ((await env.api('GET', '/api/v1/visitors')).visitors || []).some((x) => x.name === name), { timeout: 30000, what: name });
    await frame.locator('#ld-input').fill(text);
    await frame.locator('#ld-input').press('Enter');
    await until(async () => (await shownMessages(frame)).some((m) => m.body === text && !m.pending));
  }
  await admin.page.goto(env.server.url + '/app/conversations');
  await admin.page.locator('button[data-view="queue"]').click();
  await until(async () => (await admin.page.locator('#queue-list .c-queue-item').count()) === 2, { what: 'two in the queue' });
  await until(async () => (await admin.page.locator('#queue-list .c-row-name').allInnerTexts()).every((n) => !n.startsWith('Visitor ')), { what: 'names in the queue' });
  await admin.page.mouse.move(0, 0);
  await admin.page.screenshot({ path: path.join(out, 'console-queue.png') });
  console.log('wrote', ['conversation', 'list', 'visitors', 'settings', 'tablet', 'queue'].map((f) => `docs/screenshots/console-${f}.png`).join(', '));
} finally {
  await env.teardown();
}
