// 7. The size budget, measured on what the browser really downloads, and an accessibility
// check (axe-core) of the launcher and of the open widget.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { after, before, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { openWidget, setup, until, widgetFrame } from './harness.mjs';

const LOADER_BUDGET = 6 * 1024;
const TOTAL_BUDGET = 30 * 1024;
const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

let env;
before(async () => { env = await setup({ inbox: { greeting: 'Hi! Ask us anything about your order.' } }); });
after(async () => { await env?.teardown(); });

test('everything downloaded before the first message can be typed fits the budget', async (t) => {
  const { page } = await env.context();
  /** @type {{url: string, type: string, raw: number, gzip: number, wire: number, encoding: string}[]} */
  const got = [];
  const pending = [];
  page.on('response', (r) => {
    if (!r.url().startsWith(env.server.url)) return;
    pending.push((async () => {
      const body = await r.body().catch(() => Buffer.alloc(0));
      const sizes = await r.request().sizes().catch(() => ({ responseBodySize: -1 }));
      got.push({
        url: r.url().slice(env.server.url.length),
        type: (r.headers()['content-type'] || '').split(';')[0],
        raw: body.length,
        gzip: gzipSync(body).length,
        wire: sizes.responseBodySize,
        encoding: r.headers()['content-encoding'] || 'identity',
      });
    })());
  });
  await page.goto(env.host.origin + '/');
  const frame = await openWidget(page);
  await until(() => frame.locator('#ld-input').isEditable(), { what: 'an editable composer' });
  const usable = [...pending];
  await Promise.all(usable);
  const counted = got.slice(0, usable.length);

  const rows = counted.map((r) => `${String(r.gzip).padStart(6)} gz ${String(r.raw).padStart(6)} raw ${String(r.wire).padStart(6)} wire (${r.encoding}) ${r.url}`);
  const total = counted.reduce((n, r) => n + r.gzip, 0);
  const loader = counted.find((r) => r.url === '/widget/loader.js');
  t.diagnostic('downloaded before the composer was usable:');
  rows.forEach((r) => t.diagnostic(r));
  t.diagnostic(`loader.js: ${loader.gzip} bytes gzipped; total: ${total} bytes gzipped (${counted.length} responses)`);

  assert.ok(loader.gzip <= LOADER_BUDGET, `loader.js is ${loader.gzip} bytes gzipped, over ${LOADER_BUDGET}`);
  assert.ok(total <= TOTAL_BUDGET, `the widget downloads ${total} bytes gzipped before it is usable, over ${TOTAL_BUDGET}`);

  // Served compressed, with cache validators.
  for (const r of counted.filter((x) => /javascript|css/.test(x.type))) {
    assert.notEqual(r.encoding, 'identity', `${r.url} is served compressed`);
  }
  // Every module the frame needs up front is preloaded (no import waterfall); the rest load on
  // demand: here only the away form (no agent is online), not the pre-chat form, emoji,
  // uploads, sound or other languages.
  const html = readFileSync(new URL('../web/widget/frame.html', import.meta.url), 'utf8');
  const preloaded = [...html.matchAll(/modulepreload" href="([^"]+)"/g)].map((m) => m[1]);
  const modules = counted.filter((r) => r.url.startsWith('/static/') && r.url.endsWith('.js')).map((r) => r.url);
  const onDemand = modules.filter((m) => !preloaded.includes(m));
  const allowed = ['/static/widget/app/main.js', '/static/widget/app/away.js'];
  for (const m of onDemand) assert.ok(allowed.includes(m), `${m} is neither preloaded by frame.html nor needed yet`);
  for (const p of preloaded) assert.ok(modules.includes(p), `${p} is preloaded but not used`);
});

/** Runs axe-core in a frame (evaluated over the DevTools protocol, which the frame's CSP does not restrict). */
async function axe(target, context = undefined) {
  if (!(await target.evaluate(() => 'axe' in window))) await target.evaluate(axeSource);
  const results = await target.evaluate((ctx) => window.axe.run(ctx || document, { resultTypes: ['violations'] }), context);
  return results.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => n.target.join(' ')) }));
}

const serious = (violations) => violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');

test('the launcher and the open widget have no serious accessibility violations', async (t) => {
  const { page } = await env.context();
  await page.goto(env.host.origin + '/');
  await page.locator('livedesk-widget button').waitFor();
  const launcher = await axe(page, { include: [['livedesk-widget']] });
  t.diagnostic(`launcher: ${JSON.stringify(launcher)}`);
  assert.deepEqual(serious(launcher), []);

  // Keyboard: Tab reaches the launcher, Enter opens the widget and puts the focus in it.
  await page.keyboard.press('Tab');
  await page.keyboard.press('Enter');
  const frame = await widgetFrame(page);
  await until(() => frame.evaluate(() => document.activeElement?.id === 'ld-input'), { what: 'focus in the composer' });

  // Away (no agent online): the e-mail form is shown.
  await frame.locator('#ld-away-email').waitFor();
  const away = await axe(frame);
  t.diagnostic(`away: ${JSON.stringify(away)}`);
  assert.deepEqual(serious(away), []);

  // A conversation, with messages both ways.
  const agent = await env.agentSocket();
  await frame.locator('#ld-input').fill('Where is my order?');
  await frame.locator('#ld-input').press('Enter');
  const q = await agent.message('Where is my order?');
  await agent.say(q.conversation_id, 'It left the warehouse today: https://example.com/track');
  await frame.getByText('It left the warehouse').waitFor();
  const open = await axe(frame);
  t.diagnostic(`open: ${JSON.stringify(open)}`);
  assert.deepEqual(serious(open), []);
  // New messages are announced: the thread is a polite live region.
  const log = frame.getByRole('log', { name: 'Messages' });
  assert.equal(await log.getAttribute('aria-live'), 'polite');
  assert.equal(await log.locator('li').count(), 2);

  // Escape closes the widget and gives the focus back to the launcher.
  await frame.locator('#ld-input').press('Escape');
  await until(() => page.evaluate(() => document.activeElement?.tagName === 'LIVEDESK-WIDGET' && document.activeElement.shadowRoot.activeElement?.tagName === 'BUTTON'), { what: 'focus back on the launcher' });
  assert.equal(await page.locator('livedesk-widget button').getAttribute('aria-expanded'), 'false');
});
