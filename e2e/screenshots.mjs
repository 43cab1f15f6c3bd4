// Makes docs/screenshots/widget-{closed,open,mobile}.png: `npm run screenshots`
// (needs target/debug/livedesk and /usr/bin/chromium, like the tests).

import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { openWidget, ROOT, setup, snippetPage, until } from './harness.mjs';

const out = path.join(ROOT, 'docs/screenshots');
mkdirSync(out, { recursive: true });

const shop = `<style>
  body { margin: 0; font: 16px/1.5 Georgia, serif; color: #222; background: #faf7f2; }
  header { padding: 18px 40px; background: #2d2a26; color: #faf7f2; font-size: 22px; letter-spacing: .05em; }
  main { padding: 32px 40px; max-width: 720px; }
  h1 { font-size: 34px; margin: 0 0 12px; }
  .grid { display: grid; grid-template-columns: repeat(auto-fill, minmax(150px, 1fr)); gap: 18px; margin-top: 24px; }
  .card { height: 150px; border-radius: 8px; background: linear-gradient(135deg, #e9dccb, #c9b79f); }
</style>`;

const env = await setup({
  inboxName: 'Oak & Thread',
  inbox: { color: '#1f6feb', greeting: 'Hi! 👋 Questions about an order, sizes or shipping? We are here to help.' },
});
try {
  env.host.fallback = () => snippetPage({
    livedesk: env.server.url,
    inbox: env.inbox.id,
    title: 'Oak & Thread',
    head: shop,
    body: '<p>Hand-made linen and wool goods, shipped worldwide.</p><div class="grid"><div class="card"></div><div class="card"></div><div class="card"></div></div>',
  }).replace('<main><h1>', '<header>OAK &amp; THREAD</header><main><h1>');
  const agent = await env.agentSocket();

  // Desktop, open, a short conversation.
  const { page } = await env.context({ viewport: { width: 1280, height: 800 } });
  await page.goto(env.host.origin + '/');
  const frame = await openWidget(page);
  const input = frame.locator('#ld-input');
  await input.fill('Hello! Do you ship to Canada?');
  await input.press('Enter');
  const q = await agent.message('Hello! Do you ship to Canada?');
  await agent.say(q.conversation_id, 'We do! Orders to Canada arrive in 3–5 business days. Rates: https://example.com/shipping');
  await frame.getByText('We do!').waitFor();
  agent.send({ type: 'receipt', conversation_id: q.conversation_id, seq: q.seq, status: 'read' });
  await input.fill('Great, and is the linen throw in stock?');
  await input.press('Enter');
  const q2 = await agent.message('Great, and is the linen throw in stock?');
  agent.send({ type: 'receipt', conversation_id: q.conversation_id, seq: q2.seq, status: 'read' });
  agent.send({ type: 'typing', conversation_id: q.conversation_id, on: true });
  await frame.locator('.ld-typing').waitFor();
  await until(async () => (await frame.locator('.ld-last .ld-status').innerText()) === 'Read', { what: 'read status' });
  await page.screenshot({ path: path.join(out, 'widget-open.png') });

  // Closed, with a reply waiting.
  await frame.locator('button[aria-label="Close chat"]').click();
  await agent.say(q.conversation_id, 'Yes, the natural and the sage ones are in stock.');
  await until(() => page.locator('livedesk-widget span').isVisible(), { what: 'the unread badge' });
  await page.mouse.move(0, 0);
  await page.screenshot({ path: path.join(out, 'widget-closed.png') });

  // A phone: the open widget fills the screen.
  const phone = await env.context({ viewport: { width: 390, height: 780 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 });
  await phone.page.goto(env.host.origin + '/');
  const f2 = await openWidget(phone.page);
  await f2.locator('#ld-input').fill('Can I still change the size on order #1042?');
  await f2.locator('#ld-input').press('Enter');
  const m = await agent.message('Can I still change the size on order #1042?');
  await agent.say(m.conversation_id, 'Sure, it has not shipped yet. Which size would you like?');
  await f2.getByText('Sure, it has not').waitFor();
  await phone.page.screenshot({ path: path.join(out, 'widget-mobile.png') });
  console.log('wrote', ['widget-open.png', 'widget-closed.png', 'widget-mobile.png'].map((f) => path.join('docs/screenshots', f)).join(', '));
} finally {
  await env.teardown();
}
