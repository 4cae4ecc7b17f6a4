// Each supported protocol revision end to end with the raw client: initialize, tools/list, a tools/call,
// plus what differs between revisions (completions, batches).

import { test, describe, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnEverything, killAllSpawned, REVISIONS, CLIENT_INFO, textOf } from '../lib/raw-stdio.mjs';

after(killAllSpawned);

for (const rev of REVISIONS) {
  describe(`revision ${rev}`, () => {
    let c;
    after(async () => {
      if (!c) return;
      const st = await c.close();
      assert.equal(st.code, 0, 'exit 0 on EOF');
    });

    test('initialize echoes the revision', async () => {
      c = spawnEverything();
      const r = await c.request('initialize', { protocolVersion: rev, capabilities: {}, clientInfo: CLIENT_INFO },
        { id: 0 });
      assert.equal(r.id, 0);
      assert.equal(r.result?.protocolVersion, rev, JSON.stringify(r));
      assert.equal(r.result.serverInfo.name, 'bulwark-everything');
      assert.equal('completions' in r.result.capabilities, rev !== '2024-11-05');
      await c.notify('notifications/initialized');
    });

    test('tools/list', async () => {
      const r = await c.call('tools/list', {});
      assert.ok(Array.isArray(r.tools));
      const echo = r.tools.find((t) => t.name === 'echo') ??
        (await (async () => {
          // The echo tool may be on a later page.
          let cursor = r.nextCursor;
          while (cursor) {
            const p = await c.call('tools/list', { cursor });
            const t = p.tools.find((x) => x.name === 'echo');
            if (t) return t;
            cursor = p.nextCursor;
          }
          return undefined;
        })());
      assert.ok(echo, 'echo listed');
      assert.equal(echo.inputSchema.type, 'object');
    });

    test('tools/call echo', async () => {
      const text = `hello from ${rev} ✓`;
      const r = await c.call('tools/call', { name: 'echo', arguments: { text } });
      assert.deepEqual(r.content, [{ type: 'text', text }]);
      assert.notEqual(r.isError, true);
    });

    test('tools/call add', async () => {
      const r = await c.call('tools/call', { name: 'add', arguments: { a: 20, b: 22 } });
      assert.deepEqual(JSON.parse(textOf(r)), { sum: 42 });
      if (rev === '2025-06-18' || rev === '2025-11-25') assert.deepEqual(r.structuredContent, { sum: 42 });
    });

    test(rev === '2025-03-26' ? 'a batch is answered with an array' : 'a batch is rejected with one -32600',
      async () => {
        const from = c.messages.length;
        await c.send([{ jsonrpc: '2.0', id: 'b1', method: 'ping' }, { jsonrpc: '2.0', id: 'b2', method: 'ping' }]);
        const reply = await c.waitFor(() => true, undefined, { from, label: 'reply to the batch' });
        if (rev === '2025-03-26') {
          assert.ok(Array.isArray(reply), `an array: ${JSON.stringify(reply)}`);
          assert.deepEqual(reply.map((m) => m.id).sort(), ['b1', 'b2']);
          for (const m of reply) assert.deepEqual(m.result, {});
        } else {
          assert.ok(!Array.isArray(reply), `not an array: ${JSON.stringify(reply)}`);
          assert.equal(reply.error?.code, -32600);
          assert.equal(reply.id, null);
          assert.match(reply.error.message, /batch/i);
        }
        await c.assertAlive();
        assert.equal(c.messages.length - from, 2, 'exactly one reply to the batch, then the ping');
        c.assertCleanStdout();
      });
  });
}
