// 5. A page on an origin the inbox does not allow gets no widget and no session; a host page,
// allowed or not, cannot read the conversation out of the widget's iframe, and hears only
// what the documented API emits.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import WebSocket from 'ws';
import { HostSite, openWidget, request, setup, snippetPage, until } from './harness.mjs';

let env;
let stranger;
before(async () => {
  env = await setup();
  stranger = await new HostSite().start();
  stranger.fallback = () => snippetPage({ livedesk: env.server.url, inbox: env.inbox.id, title: 'Not allowed' });
});
after(async () => {
  await stranger?.stop();
  await env?.teardown();
});

test('a page on an origin that is not allowed gets no widget and no visitor session', async () => {
  const { page } = await env.context();
  const calls = [];
  page.on('request', (r) => calls.push(r.url()));
  const blocked = page.waitForEvent('requestfailed', (r) => r.url().includes('/widget/frame'));
  await page.goto(stranger.origin + '/');
  // The browser refuses the frame (CSP frame-ancestors) and puts its error page in its place.
  // Wait for that, not for a while: no widget code runs in that page, and the loader shows
  // the launcher only when the frame says it is ready, so what has not happened by then
  // never will.
  assert.equal((await blocked).failure()?.errorText, 'net::ERR_BLOCKED_BY_RESPONSE');
  await until(() => page.frames().some((f) => f.url() === 'chrome-error://chromewebdata/'), { what: "the browser's error page in the frame" });
  assert.ok(calls.some((u) => u.includes('/widget/frame')), 'the loader asked for the frame');
  assert.equal(calls.filter((u) => u.includes('/api/v1/')).length, 0, `no API call: ${calls}`);
  assert.equal(await page.locator('livedesk-widget button').isVisible(), false, 'no launcher');
  const frame = page.frames().find((f) => f.url().includes('/widget/frame'));
  assert.equal(frame, undefined, 'the frame did not render');

  // The server refuses the session and the socket for that host, whatever the frame says.
  const refused = await request(env.server.url, 'POST', '/api/v1/widget/sessions', { body: { inbox_id: env.inbox.id, host_origin: stranger.origin } });
  assert.equal(refused.status, 403);
  assert.equal(refused.body.code, 'origin_not_allowed');
  const direct = await request(env.server.url, 'POST', '/api/v1/widget/sessions', { body: { inbox_id: env.inbox.id }, headers: { Origin: stranger.origin } });
  assert.equal(direct.status, 403);
  const status = await new Promise((resolve) => {
    const ws = new WebSocket(`${env.server.url.replace('http', 'ws')}/ws/v1?inbox=${env.inbox.id}`, { origin: stranger.origin });
    ws.on('unexpected-response', (_req, res) => resolve(res.statusCode));
    ws.on('open', () => { ws.close(); resolve('open'); });
    ws.on('error', () => {});
  });
  assert.equal(status, 403, 'the socket handshake is refused');
});

test('a hostile host page can neither read the frame nor hear message text', async () => {
  const secret = 'My card number is 4111 1111 1111 1111';
  env.host.routes.set('/hostile', snippetPage({
    livedesk: env.server.url,
    inbox: env.inbox.id,
    title: 'Hostile',
    before: `<script>
      window.heard = [];
      addEventListener('message', (e) => window.heard.push(JSON.stringify(e.data)));
      window.emitted = [];
      Livedesk('on', 'message', (m) => window.emitted.push(m));
    </script>`,
  }));
  const agent = await env.agentSocket();
  const { page } = await env.context();
  await page.goto(env.host.origin + '/hostile');
  const frame = await openWidget(page);
  await frame.locator('#ld-input').fill(secret);
  await frame.locator('#ld-input').press('Enter');
  const m = await agent.message(secret);
  await agent.say(m.conversation_id, 'Secret reply: 1234');
  await frame.getByText('Secret reply: 1234').waitFor();
  await until(() => page.evaluate(() => window.emitted.length >= 2), { what: 'two message events' });

  const probe = await page.evaluate(() => {
    const iframe = document.querySelector('livedesk-widget').shadowRoot.querySelector('iframe');
    const out = { contentDocument: iframe.contentDocument === null };
    for (const [name, read] of Object.entries({
      document: () => iframe.contentWindow.document.body.innerText,
      storage: () => iframe.contentWindow.localStorage.length,
      location: () => iframe.contentWindow.location.href,
    })) {
      try {
        read();
        out[name] = 'readable';
      } catch (e) {
        out[name] = e.name;
      }
    }
    return out;
  });
  assert.deepEqual(probe, { contentDocument: true, document: 'SecurityError', storage: 'SecurityError', location: 'SecurityError' });

  const { heard, emitted } = await page.evaluate(() => ({ heard: window.heard, emitted: window.emitted }));
  for (const data of heard) {
    assert.ok(!data.includes('4111') && !data.includes('1234'), `postMessage carried message text: ${data}`);
  }
  // `on('message')` gives an id and who wrote it, nothing else.
  assert.deepEqual(emitted.map((e) => Object.keys(e).sort()), [['author', 'id'], ['author', 'id']]);
  assert.deepEqual(emitted.map((e) => e.author), ['contact', 'agent']);
  assert.ok(!(await page.content()).includes('4111'), 'the host DOM holds no message text');
});

test('another site that opens the frame in a popup can neither drive nor read it', async () => {
  // Outside an iframe there is no frame-ancestors check, so an attacker could open the frame
  // as a window, claiming an allowed host. It answers only its parent, and never the opener.
  const allowed = encodeURIComponent(env.host.origin);
  stranger.routes.set('/popup', `<!doctype html><title>Attacker</title><script>
    window.result = new Promise((resolve) => {
      const w = window.open('${env.server.url}/widget/frame?inbox=${env.inbox.id}&host=${allowed}', 'x', 'popup');
      const spam = setInterval(() => {
        for (const type of ['state', 'identify', 'setAttributes']) {
          w.postMessage({ livedesk: 1, type, data: { open: true, name: 'Mallory', pwned: true } }, '*');
        }
      }, 100);
      setTimeout(() => {
        clearInterval(spam);
        let read;
        try { read = w.document.body.innerText; } catch (e) { read = e.name; }
        resolve(read);
      }, 3000);
    });
  </script>`);
  const { page, context } = await env.context();
  const calls = [];
  context.on('request', (r) => calls.push(r.method() + ' ' + new URL(r.url()).pathname));
  await page.goto(stranger.origin + '/popup');
  assert.equal(await page.evaluate(() => window.result), 'SecurityError');
  assert.deepEqual(calls.filter((c) => c.includes('/widget/contact') || c.includes('/widget/sessions') || c.includes('/conversations')), [], 'the popup made no session and changed no contact');
});
