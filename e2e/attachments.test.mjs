// 6. Files both ways: a visitor's image reaches the agent byte for byte and is previewed in
// the widget; an agent's PDF downloads in the widget; a file over the size limit or of a
// type the inbox does not take gets a clear message and is not stored.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { deflateSync } from 'node:zlib';
import { openWidget, request, setup, until } from './harness.mjs';

const LIMIT = 200_000;

/** A real PNG (a colour gradient), so the server's content check and the preview both work. */
function png(width, height) {
  const crcTable = Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  const crc = (buf) => {
    let c = 0xffffffff;
    for (const b of buf) c = crcTable[(c ^ b) & 0xff] ^ (c >>> 8);
    return (c ^ 0xffffffff) >>> 0;
  };
  const chunk = (type, data) => {
    const out = Buffer.alloc(12 + data.length);
    out.writeUInt32BE(data.length, 0);
    out.write(type, 4, 'latin1');
    data.copy(out, 8);
    out.writeUInt32BE(crc(out.subarray(4, 8 + data.length)), 8 + data.length);
    return out;
  };
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.set([8, 2, 0, 0, 0], 8);
  const rows = Buffer.alloc((width * 3 + 1) * height);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) rows.set([(x * 255) / width, (y * 255) / height, 160], y * (width * 3 + 1) + 1 + x * 3);
  }
  return Buffer.concat([Buffer.from('\x89PNG\r\n\x1a\n', 'latin1'), chunk('IHDR', header), chunk('IDAT', deflateSync(rows)), chunk('IEND', Buffer.alloc(0))]);
}

let env;
before(async () => { env = await setup({ env: { LIVEDESK_LIMITS__MAX_ATTACHMENT_BYTES: String(LIMIT) } }); });
after(async () => { await env?.teardown(); });

test('attachments go both ways; oversized and unaccepted files are refused with a clear message', async () => {
  const agent = await env.agentSocket();
  const { page } = await env.context({ acceptDownloads: true });
  const uploads = [];
  page.on('request', (r) => { if (r.url().includes('/attachments?')) uploads.push(r.url()); });
  await page.goto(env.host.origin + '/');
  const frame = await openWidget(page);
  await frame.locator('#ld-input').fill('I have a screenshot');
  await frame.locator('#ld-input').press('Enter');
  const first = await agent.message('I have a screenshot');
  const conversation = first.conversation_id;

  // Visitor → agent: an image, previewed in the widget.
  const image = png(64, 48);
  await frame.locator('.ld-file-input').setInputFiles({ name: 'screen.png', mimeType: 'image/png', buffer: image });
  const withImage = await agent.wait((f) => f.type === 'message.created' && f.message.attachment?.name === 'screen.png', 15000, 'the image message');
  assert.deepEqual(
    { ...withImage.message.attachment, id: undefined },
    { id: undefined, name: 'screen.png', content_type: 'image/png', size: image.length },
  );
  const fetched = await fetch(`${env.server.url}/api/v1/attachments/${withImage.message.attachment.id}`, { headers: { Authorization: `Bearer ${env.token}` } });
  assert.equal(fetched.status, 200);
  assert.deepEqual(Buffer.from(await fetched.arrayBuffer()), image);
  const preview = frame.locator('.ld-own img.ld-image');
  await preview.waitFor();
  await until(() => preview.evaluate((img) => img.complete && img.naturalWidth === 64), { what: 'the image preview' });
  assert.match(await preview.getAttribute('src'), /^blob:/);
  assert.equal(await preview.getAttribute('alt'), 'screen.png');

  // Agent → visitor: a PDF, downloaded from the widget.
  const pdf = Buffer.from('%PDF-1.4\n% Livedesk test\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n');
  const up = await request(env.server.url, 'POST', `/api/v1/conversations/${conversation}/attachments?name=${encodeURIComponent('Guide 2.pdf')}`, {
    token: env.token,
    body: new Uint8Array(pdf),
    headers: { 'Content-Type': 'application/pdf' },
  });
  assert.equal(up.status, 201, JSON.stringify(up.body));
  await agent.say(conversation, 'Here is the guide', { attachment_id: up.body.id });
  const file = frame.locator('.ld-them button.ld-file');
  await file.waitFor();
  assert.match(await file.innerText(), /Guide 2\.pdf/);
  const [download] = await Promise.all([page.waitForEvent('download'), file.click()]);
  assert.equal(download.suggestedFilename(), 'Guide 2.pdf');
  const saved = await download.createReadStream();
  const chunks = [];
  for await (const c of saved) chunks.push(c);
  assert.deepEqual(Buffer.concat(chunks), pdf);

  // Over the limit: a clear message, no upload, nothing sent.
  const before = uploads.length;
  const messages = agent.frames.filter((f) => f.type === 'message.created').length;
  await frame.locator('.ld-file-input').setInputFiles({ name: 'huge.png', mimeType: 'image/png', buffer: Buffer.concat([image, Buffer.alloc(LIMIT)]) });
  const error = frame.locator('.ld-error');
  await until(async () => (await error.innerText()).includes('huge.png is too large (the limit is 200 KB).'), { what: 'the size message' });
  assert.equal(await error.getAttribute('role'), 'alert');
  // A type the inbox does not accept.
  await frame.locator('.ld-file-input').setInputFiles({ name: 'tool.exe', mimeType: 'application/x-msdownload', buffer: Buffer.from('MZ') });
  await until(async () => (await error.innerText()).includes('tool.exe cannot be sent: this file type is not accepted.'), { what: 'the type message' });
  // Then a text from the same widget: its outbox sends in order, so the agent has it after
  // anything a refused file could have sent; and an upload starts before any refusal shows.
  await frame.locator('#ld-input').fill('Never mind the files');
  await frame.locator('#ld-input').press('Enter');
  await agent.message('Never mind the files');
  assert.equal(uploads.length, before, 'nothing was uploaded');
  const since = agent.frames.filter((f) => f.type === 'message.created').slice(messages);
  assert.deepEqual(since.map((f) => f.message.body), ['Never mind the files'], 'nothing else was sent');

  // The server refuses the same on its own, whatever a client does, and stores nothing.
  const token = await frame.evaluate(() => Object.entries(localStorage).find(([k]) => k.startsWith('livedesk.visitor.'))[1]);
  const big = await request(env.server.url, 'POST', `/api/v1/conversations/${conversation}/attachments?name=huge.png`, {
    token,
    body: new Uint8Array(Buffer.concat([image, Buffer.alloc(LIMIT)])),
    headers: { 'Content-Type': 'image/png' },
  });
  assert.equal(big.status, 413);
  assert.equal(big.body.code, 'payload_too_large');
  const exe = await request(env.server.url, 'POST', `/api/v1/conversations/${conversation}/attachments?name=tool.exe`, {
    token,
    body: new Uint8Array(Buffer.from('MZ')),
    headers: { 'Content-Type': 'application/x-msdownload' },
  });
  assert.equal(exe.status, 415);
  const history = await env.api('GET', `/api/v1/conversations/${conversation}/messages?after_seq=0`);
  assert.deepEqual(history.messages.map((m) => m.attachment?.name ?? null), [null, 'screen.png', 'Guide 2.pdf', null]);
});
