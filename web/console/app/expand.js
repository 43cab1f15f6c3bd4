// @ts-check
/* Canned-response variables: {{contact.name}}, {{contact.email}}, {{agent.name}},
 * {{contact.attributes.KEY}}. Unknown or empty values become "". */

/**
 * @param {string} body
 * @param {{contact?: import('./types.js').Contact|null, agent?: {name: string}|null}} ctx
 */
export function expand(body, ctx) {
  return body.replace(/\{\{\s*([a-z_]+(?:\.[A-Za-z0-9_.-]+)?)\s*\}\}/g, (_, key) => {
    const c = ctx.contact;
    if (key === 'contact.name') return c?.name || '';
    if (key === 'contact.email') return c?.email || '';
    if (key === 'agent.name') return ctx.agent?.name || '';
    if (key.startsWith('contact.attributes.')) {
      const v = c?.attributes?.[key.slice('contact.attributes.'.length)];
      return v == null ? '' : String(v);
    }
    return '';
  });
}
