// @ts-check
/* The widget's words. English is built in; other languages load on demand from lang/. */

const en = {
  title: 'Chat',
  open: 'Open chat',
  close: 'Close chat',
  unread: '{n} unread',
  online: 'We usually reply in a few minutes',
  away: "We're away right now",
  greeting: 'Hi! How can we help?',
  away_text: "We're away right now. Leave a message and your email, and we'll get back to you.",
  placeholder: 'Type a message…',
  message: 'Message',
  messages: 'Messages',
  send: 'Send',
  attach: 'Attach a file',
  emoji: 'Emoji',
  mute: 'Mute sounds',
  unmute: 'Turn sounds on',
  reconnecting: 'Reconnecting…',
  sending: 'Sending…',
  sent: 'Sent',
  delivered: 'Delivered',
  read: 'Read',
  you: 'You',
  support: 'Support',
  typing: '{name} is typing…',
  ended: 'This conversation has ended.',
  new_conversation: 'Start a new conversation',
  earlier: 'Load earlier messages',
  prechat: 'Tell us a little about yourself to start.',
  start: 'Start chat',
  required: '{field} is required.',
  bad_email: 'Please enter a valid email address.',
  your_email: 'Your email',
  save: 'Save',
  email_saved: "Thanks! We'll reply to {email}.",
  too_big: '{name} is too large (the limit is {max}).',
  bad_type: '{name} cannot be sent: this file type is not accepted.',
  upload_failed: '{name} could not be uploaded. Please try again.',
  uploading: 'Uploading {name}…',
  not_sent: 'A message could not be sent: {reason}',
  download: 'Download {name}',
  drop: 'Drop a file to send it',
  unavailable: 'Chat is unavailable right now.',
  dismiss: 'Dismiss',
  queue_next: "You're next",
  queue_place: "You're number {n} in line",
  queue_wait: 'about {min} min',
};

/** @typedef {keyof typeof en} Key */

const LANGS = ['en', 'de', 'fr', 'es'];
/** @type {Record<string, string>} */
let words = en;

/** The language in use. */
export let lang = 'en';

/**
 * Picks the first supported language: the snippet's `data-locale`, then the browser's list.
 * @param {string|null} override
 * @param {readonly string[]} preferred
 */
export async function setLocale(override, preferred) {
  const want = [override || '', ...preferred].map((tag) => tag.toLowerCase().split(/[-_]/)[0]).find((l) => LANGS.includes(l));
  if (want && want !== 'en') {
    try {
      words = (await import(`./lang/${want}.js`)).default;
      lang = want;
    } catch { /* stay in English */ }
  }
  document.documentElement.lang = lang;
}

/**
 * @param {Key} key
 * @param {Record<string, string|number>} [vars]
 */
export function t(key, vars) {
  let s = words[key] || en[key];
  if (vars) for (const k in vars) s = s.split('{' + k + '}').join(String(vars[k]));
  return s;
}
