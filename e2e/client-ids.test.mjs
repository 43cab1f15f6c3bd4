// client_msg_id: UUIDv7 made by the browser client (web/shared/client.js), in time order.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { uuidv7 } from '../web/shared/client.js';

test('message ids are RFC 9562 version 7, carry their time, and sort in time order as text', () => {
  const re = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
  const ms = 1_764_547_200_123;
  const id = uuidv7(ms);
  assert.match(id, re);
  assert.equal(parseInt(id.replace(/-/g, '').slice(0, 12), 16), ms);
  const ids = [ms, ms + 1, ms + 1000, ms + 86_400_000].map((t) => uuidv7(t));
  assert.deepEqual([...ids].sort(), ids);
  assert.notEqual(uuidv7(ms), uuidv7(ms), 'the random part differs');
  assert.match(uuidv7(), re);
});
