// Utilities on the wire: progress (token echoed with its JSON type, before the response), cancellation,
// ping never delayed by a slow tool, logging levels, and pagination.

import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  startInitialized, killAllSpawned, WAIT_MS, textOf, rawListAll, isResponseTo, isNotification, finish,
} from '../lib/raw-stdio.mjs';
import { LoggingMessageNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import { connectSdk, collector, REQ_OPTS, finishSdk } from '../lib/sdk.mjs';

after(killAllSpawned);

const isProgress = isNotification('notifications/progress');
const isLog = isNotification('notifications/message');

/** Send tools/call with id; returns { resp, respIndex, from } once the response arrived. */
async function callAndCollect(c, id, name, args, meta) {
  const from = c.messages.length;
  const params = { name, arguments: args };
  if (meta) params._meta = meta;
  const p = c.waitForEntry(isResponseTo(id), WAIT_MS, { from, label: `${name} response` });
  await c.send({ jsonrpc: '2.0', id, method: 'tools/call', params });
  const entry = await p;
  return { resp: entry.msg, respIndex: c.messages.indexOf(entry), from };
}

describe('progress', () => {
  let c;
  before(async () => {
    c = await startInitialized();
  });
  after(async () => {
    await finish(c);
  });

  for (const token of ['tok-α-1', 42, 0]) {
    test(`slow_task with ${typeof token} progressToken ${JSON.stringify(token)}: 3 notifications before the response`,
      async () => {
        const id = `p-${token}`;
        const { resp, respIndex, from } = await callAndCollect(c, id, 'slow_task', { steps: 3, interval_ms: 20 },
          { progressToken: token });
        assert.ok(resp.result, JSON.stringify(resp));
        assert.equal(textOf(resp.result), 'completed 3 steps');
        await c.assertAlive(); // barrier: anything sent after the response would be here by now
        const all = c.messages.slice(from).filter((e) => isProgress(e.msg) && e.msg.params?.progressToken === token);
        const mismatched = c.messages.slice(from).filter((e) => isProgress(e.msg) && e.msg.params?.progressToken !== token);
        assert.deepEqual(mismatched.map((e) => e.line), [], 'token echoed with the same JSON type');
        assert.equal(all.length, 3, `3 progress notifications, got ${all.map((e) => e.line).join('\n')}`);
        for (const e of all) {
          assert.ok(c.messages.indexOf(e) < respIndex, 'progress precedes the response');
          assert.equal(typeof e.msg.params.progressToken, typeof token);
          assert.equal(e.msg.params.total, 3);
          assert.equal(typeof e.msg.params.progress, 'number');
        }
        const prog = all.map((e) => e.msg.params.progress);
        for (let i = 1; i < prog.length; i++) assert.ok(prog[i] > prog[i - 1], `strictly increasing: ${prog}`);
        assert.equal(prog[2], 3, 'last progress equals total');
      });
  }

  test('without a progressToken: no progress notifications', async () => {
    const { resp, from } = await callAndCollect(c, 'noprog', 'slow_task', { steps: 3, interval_ms: 20 });
    assert.equal(textOf(resp.result), 'completed 3 steps');
    await c.assertAlive();
    assert.deepEqual(c.messages.slice(from).filter((e) => isProgress(e.msg)).map((e) => e.line), []);
  });

  test('with _meta but no progressToken: no progress notifications', async () => {
    const { resp, from } = await callAndCollect(c, 'noprog2', 'slow_task', { steps: 2, interval_ms: 0 }, {});
    assert.ok(resp.result);
    await c.assertAlive();
    assert.deepEqual(c.messages.slice(from).filter((e) => isProgress(e.msg)).map((e) => e.line), []);
  });

  test('test_tool_with_progress: 0, 50, 100 of 100 before the response', async () => {
    const { resp, respIndex, from } = await callAndCollect(c, 7, 'test_tool_with_progress', {}, { progressToken: 7 });
    assert.ok(resp.result, JSON.stringify(resp));
    await c.assertAlive();
    const all = c.messages.slice(from).filter((e) => isProgress(e.msg));
    assert.deepEqual(all.map((e) => [e.msg.params.progressToken, e.msg.params.progress, e.msg.params.total]),
      [[7, 0, 100], [7, 50, 100], [7, 100, 100]]);
    assert.ok(all.every((e) => c.messages.indexOf(e) < respIndex));
  });

  test('stdout stayed clean', () => c.assertCleanStdout());
});

describe('cancellation and concurrency', () => {
  let c;
  before(async () => {
    c = await startInitialized();
  });
  after(async () => {
    await finish(c);
  });

  for (const id of ['cancel-me', 555]) {
    test(`notifications/cancelled stops slow_task (${typeof id} id): no response, progress stops, ping answered`,
      async () => {
        const token = `ct-${id}`;
        const from = c.messages.length;
        await c.send({
          jsonrpc: '2.0', id, method: 'tools/call',
          params: { name: 'slow_task', arguments: { steps: 100, interval_ms: 50 }, _meta: { progressToken: token } },
        });
        // Wait until it is really running.
        await c.waitFor((m) => isProgress(m) && m.params.progressToken === token, WAIT_MS,
          { from, label: 'first progress of the task to cancel' });
        await c.notify('notifications/cancelled', { requestId: id, reason: 'test cancels it' });
        const t0 = Date.now();
        await c.assertAlive('ping answered right after the cancel');
        const pingMs = Date.now() - t0;
        assert.ok(pingMs < 2000, `ping answered promptly (${pingMs} ms)`);
        const afterPing = c.messages.length;
        await c.quiet(isResponseTo(id), 1000, from, `response for the cancelled request ${JSON.stringify(id)}`);
        const late = c.messages.slice(afterPing).filter((e) => isProgress(e.msg) && e.msg.params.progressToken === token);
        assert.ok(late.length <= 1, `progress must stop after cancellation (got ${late.length} more in 1 s)`);
      });
  }

  test('cancelling an unknown / finished id is ignored', async () => {
    const from = c.messages.length;
    await c.notify('notifications/cancelled', { requestId: 'never-sent', reason: 'x' });
    await c.notify('notifications/cancelled', { requestId: 1 });
    await c.assertAlive();
    assert.equal(c.messages.slice(from).length, 1, 'only the ping response');
  });

  test('a slow tool never delays ping', async () => {
    const id = 'slow-vs-ping';
    const from = c.messages.length;
    const slow = c.waitForEntry(isResponseTo(id), WAIT_MS, { from, label: 'slow_task response' });
    await c.send({
      jsonrpc: '2.0', id, method: 'tools/call', params: { name: 'slow_task', arguments: { steps: 20, interval_ms: 50 } },
    });
    const t0 = Date.now();
    const ping = await c.request('ping', undefined, { id: 'fast-ping' });
    const pingMs = Date.now() - t0;
    assert.deepEqual(ping.result, {});
    const slowEntry = await slow;
    assert.equal(textOf(slowEntry.msg.result), 'completed 20 steps');
    assert.ok(c.indexOf(ping) < c.messages.indexOf(slowEntry), 'ping answered before slow_task finished');
    assert.ok(pingMs < 1000, `ping took ${pingMs} ms while slow_task ran`);
  });

  test('two slow tools run concurrently', async () => {
    const from = c.messages.length;
    const a = c.waitForEntry(isResponseTo('cA'), WAIT_MS, { from, label: 'cA' });
    const b = c.waitForEntry(isResponseTo('cB'), WAIT_MS, { from, label: 'cB' });
    const t0 = Date.now();
    const args = { steps: 10, interval_ms: 60 };
    await c.send({ jsonrpc: '2.0', id: 'cA', method: 'tools/call', params: { name: 'slow_task', arguments: args } });
    await c.send({ jsonrpc: '2.0', id: 'cB', method: 'tools/call', params: { name: 'slow_task', arguments: args } });
    const [ra, rb] = await Promise.all([a, b]);
    assert.equal(textOf(ra.msg.result), 'completed 10 steps');
    assert.equal(textOf(rb.msg.result), 'completed 10 steps');
    const ms = Date.now() - t0;
    assert.ok(ms < 1150, `both done in ${ms} ms (serial would take ≥ 1200 ms)`);
  });

  test('stdout stayed clean', () => c.assertCleanStdout());
});

describe('logging', () => {
  const LEVELS = ['debug', 'info', 'notice', 'warning', 'error', 'critical', 'alert', 'emergency'];
  let c;
  before(async () => {
    c = await startInitialized();
  });
  after(async () => {
    await finish(c);
  });

  async function logsOf(id, toolName) {
    const { resp, respIndex, from } = await callAndCollect(c, id, toolName, {});
    assert.ok(resp.result, JSON.stringify(resp));
    await c.assertAlive();
    const logs = c.messages.slice(from).filter((e) => isLog(e.msg));
    return { resp, logs, respIndex };
  }

  test('setLevel warning → log_all_levels yields exactly warning..emergency', async () => {
    assert.deepEqual(await c.call('logging/setLevel', { level: 'warning' }), {});
    const { resp, logs, respIndex } = await logsOf('log1', 'log_all_levels');
    assert.equal(textOf(resp.result), 'logged');
    assert.deepEqual(logs.map((e) => e.msg.params.level), LEVELS.slice(3));
    for (const e of logs) {
      assert.equal(e.msg.params.logger, 'everything');
      assert.equal(e.msg.params.data, `level ${e.msg.params.level}`);
      assert.ok(c.messages.indexOf(e) < respIndex, 'log precedes the response');
    }
  });

  test('setLevel debug → all 8 levels, in order', async () => {
    assert.deepEqual(await c.call('logging/setLevel', { level: 'debug' }), {});
    const { logs } = await logsOf('log2', 'log_all_levels');
    assert.deepEqual(logs.map((e) => e.msg.params.level), LEVELS);
  });

  test('setLevel emergency → only emergency', async () => {
    assert.deepEqual(await c.call('logging/setLevel', { level: 'emergency' }), {});
    const { logs } = await logsOf('log3', 'log_all_levels');
    assert.deepEqual(logs.map((e) => e.msg.params.level), ['emergency']);
  });

  test('test_tool_with_logging (level debug) → 3 info messages before its result', async () => {
    assert.deepEqual(await c.call('logging/setLevel', { level: 'debug' }), {});
    const { logs, respIndex } = await logsOf('log4', 'test_tool_with_logging');
    assert.deepEqual(logs.map((e) => [e.msg.params.level, e.msg.params.data]), [
      ['info', 'Tool execution started'], ['info', 'Tool processing data'], ['info', 'Tool execution completed'],
    ]);
    assert.ok(logs.every((e) => c.messages.indexOf(e) < respIndex));
  });

  test('test_tool_with_logging at level warning → no messages', async () => {
    assert.deepEqual(await c.call('logging/setLevel', { level: 'warning' }), {});
    const { logs } = await logsOf('log5', 'test_tool_with_logging');
    assert.deepEqual(logs.map((e) => e.line), []);
  });

  test('stdout stayed clean', () => c.assertCleanStdout());
});

describe('pagination', () => {
  const LISTS = [
    ['tools/list', 'tools', (x) => x.name],
    ['resources/list', 'resources', (x) => x.uri],
    ['resources/templates/list', 'resourceTemplates', (x) => x.uriTemplate],
    ['prompts/list', 'prompts', (x) => x.name],
  ];
  let small;
  let dflt;
  before(async () => {
    [small, dflt] = await Promise.all([startInitialized(undefined, ['--page-size', '2']), startInitialized()]);
  });
  after(async () => {
    await Promise.all([finish(small), finish(dflt)]);
  });

  for (const [method, key, keyOf] of LISTS) {
    test(`${method} with --page-size 2: pages of ≤ 2, nextCursor until the last, same set as default`, async () => {
      const paged = await rawListAll(small, method, key);
      const full = await rawListAll(dflt, method, key);
      const n = full.items.length;
      assert.ok(n >= 1, `${method} has items`);
      assert.equal(paged.pages.length, Math.ceil(n / 2), 'ceil(n/2) pages');
      paged.pages.forEach((p, i) => {
        const last = i === paged.pages.length - 1;
        assert.ok(p[key].length <= 2 && p[key].length >= 1, `page ${i} has 1..2 items`);
        if (last) assert.ok(!('nextCursor' in p), 'no nextCursor on the last page');
        else assert.equal(typeof p.nextCursor, 'string', `nextCursor on page ${i}`);
      });
      const keys = paged.items.map(keyOf);
      assert.equal(new Set(keys).size, keys.length, 'every item exactly once');
      assert.deepEqual([...keys].sort(), full.items.map(keyOf).sort(), 'same set as the default page size');
      assert.deepEqual(paged.items, full.items, 'same items, same order, same content');
    });

    test(`${method} with an invalid cursor → -32602`, async () => {
      for (const c of [small, dflt]) {
        const r = await c.request(method, { cursor: 'garbage' });
        assert.equal(r.error?.code, -32602, JSON.stringify(r));
      }
    });
  }

  test('tools/list with --page-size 2 really paginates (many pages)', async () => {
    const { pages } = await rawListAll(small, 'tools/list', 'tools');
    assert.ok(pages.length >= 10, `${pages.length} pages`);
  });

  test('a cursor is reusable (stable)', async () => {
    const first = await small.call('tools/list', {});
    const a = await small.call('tools/list', { cursor: first.nextCursor });
    const b = await small.call('tools/list', { cursor: first.nextCursor });
    assert.deepEqual(a, b);
  });

  test('stdout stayed clean', () => {
    small.assertCleanStdout();
    dflt.assertCleanStdout();
  });
});

describe('progress and logging through the SDK client', () => {
  let s;
  const logs = collector('notifications/message');
  before(async () => {
    s = await connectSdk({
      setup(client) {
        client.setNotificationHandler(LoggingMessageNotificationSchema, logs.handler);
      },
    });
  });
  after(async () => {
    await finishSdk(s);
  });

  // The conformance scenario tools-call-with-progress: the SDK client must see all three (>= 3 required).
  // The SDK dispatches progress in a microtask but settles the response synchronously, so a progress
  // notification that reaches it in the same read as the response is dropped ("unknown token").
  test('test_tool_with_progress: SDK onprogress sees 0, 50, 100 of 100', async () => {
    const seen = [];
    const r = await s.client.callTool({ name: 'test_tool_with_progress', arguments: {} }, undefined,
      { ...REQ_OPTS, onprogress: (p) => seen.push(p) });
    assert.ok(textOf(r).length > 0);
    assert.deepEqual(seen.map((p) => [p.progress, p.total]), [[0, 100], [50, 100], [100, 100]]);
  });

  test('setLoggingLevel error → log_all_levels delivers error..emergency', async () => {
    await s.client.setLoggingLevel('error', REQ_OPTS);
    const before = logs.items.length;
    const r = await s.client.callTool({ name: 'log_all_levels', arguments: {} }, undefined, REQ_OPTS);
    assert.equal(textOf(r), 'logged');
    await logs.waitCount(before + 4);
    await s.client.ping(REQ_OPTS);
    assert.deepEqual(logs.items.slice(before).map((n) => n.params.level), ['error', 'critical', 'alert', 'emergency']);
  });
});
