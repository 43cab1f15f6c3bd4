// 1. A visitor opens the widget and writes; an agent (over the WebSocket API) receives it and
// answers; the visitor sees typing, the reply and the read status; the agent sees the
// visitor's typing and read receipt.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { openWidget, setup, shownMessages, sleep, until } from './harness.mjs';

let env;
before(async () => { env = await setup(); });
after(async () => { await env?.teardown(); });

test('a visitor and an agent talk through the widget, with typing and read status both ways', async () => {
  const agent = await env.agentSocket();
  const { page, dialogs } = await env.context();
  await page.goto(env.host.origin + '/');
  const frame = await openWidget(page);

  // The first message starts the conversation.
  const input = frame.locator('#ld-input');
  await input.fill('Hello');
  await input.press('Enter');
  const hello = await agent.message('Hello');
  assert.equal(hello.author.kind, 'contact');
  const conversation = hello.conversation_id;

  // The visitor types: the agent hears it, then gets the message.
  await input.pressSequentially('Is anyone there?');
  const typing = await agent.wait((f) => f.type === 'typing' && f.on && f.author.kind === 'contact', 15000, 'visitor typing');
  assert.equal(typing.conversation_id, conversation);
  await input.press('Enter');
  const question = await agent.message('Is anyone there?');
  assert.equal(question.conversation_id, conversation);
  await until(async () => (await shownMessages(frame)).at(-1)?.status === 'Sent', { what: '"Sent" on the visitor message' });

  // The agent types, then answers.
  agent.send({ type: 'typing', conversation_id: conversation, on: true });
  const typingLine = frame.locator('.ld-typing');
  await typingLine.waitFor({ state: 'visible' });
  assert.match(await typingLine.innerText(), /Anna is typing/);
  const ack = await agent.say(conversation, 'Yes! How can I help?');
  await frame.locator('.ld-them .ld-body', { hasText: 'Yes! How can I help?' }).waitFor();
  assert.equal(await typingLine.isVisible(), false, 'the typing line goes when the message comes');
  assert.equal(await frame.locator('.ld-them .ld-author').last().innerText(), 'Anna');

  // The open widget has shown the reply: the agent gets the visitor's read receipt.
  const read = await agent.wait((f) => f.type === 'receipt' && f.side === 'contact' && f.status === 'read' && f.seq >= ack.seq, 15000, 'visitor read receipt');
  assert.equal(read.conversation_id, conversation);

  // The agent reads the visitor's message: the visitor sees "Read".
  agent.send({ type: 'receipt', conversation_id: conversation, seq: question.seq, status: 'read' });
  await until(async () => (await shownMessages(frame)).findLast((m) => m.own)?.status === 'Read', { what: '"Read" on the visitor message' });

  const shown = await shownMessages(frame);
  assert.deepEqual(shown.map((m) => [m.body, m.own]), [['Hello', true], ['Is anyone there?', true], ['Yes! How can I help?', false]]);
  assert.deepEqual(dialogs, []);
  assert.deepEqual(env.errors, []);
});

test('a reply while the widget is closed shows an unread badge and chimes, unless muted', async () => {
  const agent = await env.agentSocket();
  const { page, context } = await env.context();
  // Count the chimes: every frame's AudioContext oscillators (two a chime), in a log the test
  // puts its own marks in, to tell which chime came when.
  await context.addInitScript(() => {
    window.sounds = [];
    window.lastTone = 0;
    const make = AudioContext.prototype.createOscillator;
    AudioContext.prototype.createOscillator = function () {
      window.sounds.push('tone');
      window.lastTone = Date.now();
      return make.call(this);
    };
  });
  await page.goto(env.host.origin + '/');
  const frame = await openWidget(page);
  await frame.locator('#ld-input').fill('One question');
  await frame.locator('#ld-input').press('Enter');
  const q = await agent.message('One question');
  await frame.locator('button[aria-label="Close chat"]').click();
  const launcher = page.locator('livedesk-widget button');
  await until(async () => (await launcher.getAttribute('aria-expanded')) === 'false', { what: 'closed widget' });
  await agent.say(q.conversation_id, 'An answer while you were away');
  await until(async () => (await launcher.getAttribute('aria-label')) === 'Open chat, 1 unread', { what: 'unread label' });
  assert.equal(await page.locator('livedesk-widget span').innerText(), '1');
  await until(() => frame.evaluate(() => window.sounds.includes('tone')), { what: 'a chime' });

  // Chimes less than 1.5 s apart are played once: an answer that is to chime, or to show that
  // it does not, comes at least that long after the last tone.
  const pastThrottle = async () => {
    const wait = await frame.evaluate(() => window.lastTone + 1600 - Date.now());
    if (wait > 0) await sleep(wait);
  };

  // Muted (a toggle that persists): no chime.
  await launcher.click();
  await until(async () => !(await page.locator('livedesk-widget span').isVisible()), { what: 'badge cleared' });
  await frame.getByRole('button', { name: 'Mute sounds' }).click();
  assert.equal(await frame.getByRole('button', { name: 'Turn sounds on' }).getAttribute('aria-pressed'), 'true');
  await frame.locator('button[aria-label="Close chat"]').click();
  await pastThrottle();
  await frame.evaluate(() => window.sounds.push('muted'));
  await agent.say(q.conversation_id, 'Another answer');
  await until(async () => (await launcher.getAttribute('aria-label')) === 'Open chat, 1 unread', { what: 'unread label' });

  // A chime plays after its message is shown, so its absence shows only against a later chime
  // that must come: sound back on, and one more answer.
  await launcher.click();
  await until(async () => !(await page.locator('livedesk-widget span').isVisible()), { what: 'badge cleared' });
  await frame.getByRole('button', { name: 'Turn sounds on' }).click();
  assert.equal(await frame.getByRole('button', { name: 'Mute sounds' }).getAttribute('aria-pressed'), 'false');
  await frame.locator('button[aria-label="Close chat"]').click();
  await until(async () => (await launcher.getAttribute('aria-expanded')) === 'false', { what: 'closed widget' });
  await pastThrottle();
  await frame.evaluate(() => window.sounds.push('unmuted'));
  await agent.say(q.conversation_id, 'A third answer');
  await until(() => frame.evaluate(() => window.sounds.lastIndexOf('tone') > window.sounds.indexOf('unmuted')), { what: 'the chime after unmuting' });
  const sounds = await frame.evaluate(() => window.sounds);
  assert.deepEqual(sounds.slice(sounds.indexOf('muted') + 1, sounds.indexOf('unmuted')), [], 'no chime when muted');
});

test('the language follows the browser, and data-locale overrides it', async () => {
  const fr = await env.context({ locale: 'fr-FR' });
  await fr.page.goto(env.host.origin + '/');
  const f1 = await openWidget(fr.page);
  assert.equal(await f1.locator('#ld-input').getAttribute('placeholder'), 'Écrivez un message…');
  assert.equal(await fr.page.locator('livedesk-widget button').getAttribute('aria-label'), 'Fermer la discussion');
  assert.equal(await f1.evaluate(() => document.documentElement.lang), 'fr');

  const de = await env.context({ locale: 'fr-FR' });
  await de.page.goto(env.host.origin + '/?locale=de');
  const f2 = await openWidget(de.page);
  assert.equal(await f2.locator('#ld-input').getAttribute('placeholder'), 'Nachricht schreiben…');
  assert.equal(await f2.getByRole('button', { name: 'Senden' }).count(), 1);

  const es = await env.context({ locale: 'es-MX' });
  await es.page.goto(env.host.origin + '/');
  const f3 = await openWidget(es.page);
  assert.equal(await f3.locator('#ld-input').getAttribute('placeholder'), 'Escribe un mensaje…');

  const other = await env.context({ locale: 'ja-JP' });
  await other.page.goto(env.host.origin + '/');
  const f4 = await openWidget(other.page);
  assert.equal(await f4.locator('#ld-input').getAttribute('placeholder'), 'Type a message…');
});
