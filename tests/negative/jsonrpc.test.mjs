// JSON-RPC envelope rules over raw stdio: member types, ids and their JSON types, unknown methods,
// notifications never answered, responses to unknown ids, duplicate in-flight ids, batches per revision,
// and the pre-initialize gate. Every group ends with a ping proving the server still serves.

import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  startInitialized, spawnEverything, killAllSpawned, WAIT_MS, isResponseTo, textOf, CLIENT_INFO,
} from '../lib/raw-stdio.mjs';

after(killAllSpawned);

/** Send raw, then a ping barrier; returns the replies other than the ping's (waiting for `expected`). */
const repliesTo = (c, raw, expected) => c.exchange(raw, expected);

describe('ids', () => {
  let c;
  before(async () => {
    c = await startInitialized();
  });
  after(async () => {
    if (c) await c.kill();
  });

  for (const id of [7, '7', 0, -5, '', 'é/🚀 id', 9007199254740991, 'x'.repeat(300)]) {
    test(`id ${JSON.stringify(id).slice(0, 30)} (${typeof id}) is echoed with its type`, async () => {
      const r = await c.request('ping', undefined, { id });
      assert.equal(typeof r.id, typeof id);
      assert.equal(r.id, id);
      assert.deepEqual(r.result, {});
    });
  }

  test('"7" and 7 are different ids: both answered, each with its own type', async () => {
    const from = c.messages.length;
    await c.send('{"jsonrpc":"2.0","id":"70","method":"ping"}\n{"jsonrpc":"2.0","id":70,"method":"tools/list"}\n');
    const s = await c.waitFor(isResponseTo('70'), WAIT_MS, { from, label: 'string 70' });
    const n = await c.waitFor(isResponseTo(70), WAIT_MS, { from, label: 'integer 70' });
    assert.deepEqual(s.result, {});
    assert.ok(Array.isArray(n.result?.tools));
  });

  for (const [label, raw] of [
    ['null', '{"jsonrpc":"2.0","id":null,"method":"ping"}\n'],
    ['true', '{"jsonrpc":"2.0","id":true,"method":"ping"}\n'],
    ['false', '{"jsonrpc":"2.0","id":false,"method":"ping"}\n'],
    ['an object', '{"jsonrpc":"2.0","id":{"a":1},"method":"ping"}\n'],
    ['an array', '{"jsonrpc":"2.0","id":[1],"method":"ping"}\n'],
    ['1.5', '{"jsonrpc":"2.0","id":1.5,"method":"ping"}\n'],
  ]) {
    test(`id ${label} → -32600 with id null`, async () => {
      const got = await repliesTo(c, raw, 1);
      assert.equal(got.length, 1, JSON.stringify(got));
      assert.equal(got[0].error?.code, -32600, JSON.stringify(got[0]));
      assert.ok('id' in got[0]);
      assert.equal(got[0].id, null);
    });
  }
});

describe('envelope members', () => {
  let c;
  before(async () => {
    c = await startInitialized();
  });
  after(async () => {
    if (c) await c.kill();
  });

  for (const [label, raw, id] of [
    ['missing jsonrpc', '{"id":20,"method":"ping"}\n', 20],
    ['jsonrpc "1.0"', '{"jsonrpc":"1.0","id":21,"method":"ping"}\n', 21],
    ['jsonrpc 2.0 as a number', '{"jsonrpc":2.0,"id":22,"method":"ping"}\n', 22],
    ['jsonrpc "2.0 "', '{"jsonrpc":"2.0 ","id":"j23","method":"ping"}\n', 'j23'],
    ['method a number', '{"jsonrpc":"2.0","id":24,"method":5}\n', 24],
    ['method null', '{"jsonrpc":"2.0","id":"m25","method":null}\n', 'm25'],
    ['method an object', '{"jsonrpc":"2.0","id":26,"method":{"name":"ping"}}\n', 26],
    ['method missing (no result/error either)', '{"jsonrpc":"2.0","id":27}\n', 27],
  ]) {
    test(`${label} → -32600 echoing id ${JSON.stringify(id)}`, async () => {
      const got = await repliesTo(c, raw, 1);
      assert.equal(got.length, 1, JSON.stringify(got));
      assert.equal(got[0].error?.code, -32600, JSON.stringify(got[0]));
      assert.equal(got[0].id, id);
      assert.ok(!('result' in got[0]));
    });
  }

  test('unknown method → -32601 echoing the id', async () => {
    for (const [method, id] of [['foo/bar', 30], ['tools/lis', '31'], ['', 32], ['PING', 33]]) {
      const r = await c.request(method, {}, { id });
      assert.equal(r.id, id);
      assert.equal(r.error?.code, -32601, `${method}: ${JSON.stringify(r)}`);
      assert.equal(typeof r.error.message, 'string');
    }
  });

  for (const [label, params] of [['an array', [1, 2]], ['a string', 'x'], ['a number', 3], ['null', null],
    ['true', true]]) {
    test(`params ${label} → -32602`, async () => {
      for (const method of ['ping', 'tools/list', 'tools/call']) {
        const id = `p-${method}-${label}`;
        const r = await c.request(method, params, { id });
        assert.equal(r.id, id);
        assert.equal(r.error?.code, -32602, `${method} with params ${JSON.stringify(params)}: ${JSON.stringify(r)}`);
      }
    });
  }

  test('every error has an integer code and a string message, and never a result', () => {
    for (const m of c.received.filter((x) => x && 'error' in x)) {
      assert.ok(Number.isInteger(m.error.code));
      assert.equal(typeof m.error.message, 'string');
      assert.ok(!('result' in m));
    }
  });

  test('still serving; stdout clean', async () => {
    await c.assertAlive();
    c.assertCleanStdout();
  });
});

describe('notifications and responses are never answered', () => {
  let c;
  before(async () => {
    c = await startInitialized();
  });
  after(async () => {
    if (c) await c.kill();
  });

  for (const [label, raw] of [
    ['notifications/initialized again', '{"jsonrpc":"2.0","method":"notifications/initialized"}\n'],
    ['an unknown notification', '{"jsonrpc":"2.0","method":"notifications/whatever","params":{"a":1}}\n'],
    ['an unknown method without id', '{"jsonrpc":"2.0","method":"foo/bar"}\n'],
    ['a request method without id (ping)', '{"jsonrpc":"2.0","method":"ping"}\n'],
    ['tools/call without id', '{"jsonrpc":"2.0","method":"tools/call","params":{"name":"echo","arguments":{"text":"x"}}}\n'],
    ['a notification with array params', '{"jsonrpc":"2.0","method":"notifications/progress","params":[1]}\n'],
    ['notifications/cancelled for nothing', '{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":12345}}\n'],
    ['notifications/roots/list_changed', '{"jsonrpc":"2.0","method":"notifications/roots/list_changed"}\n'],
  ]) {
    test(`${label} → no reply`, async () => {
      const got = await repliesTo(c, raw, 0);
      assert.deepEqual(got, []);
    });
  }

  for (const [label, raw] of [
    ['a result for an unknown integer id', '{"jsonrpc":"2.0","id":999,"result":{}}\n'],
    ['a result for an unknown string id', '{"jsonrpc":"2.0","id":"srv-1","result":{"x":1}}\n'],
    ['an error for an unknown id', '{"jsonrpc":"2.0","id":998,"error":{"code":-1,"message":"no"}}\n'],
    ['an error with id null', '{"jsonrpc":"2.0","id":null,"error":{"code":-32700,"message":"Parse error"}}\n'],
  ]) {
    test(`${label} → ignored silently`, async () => {
      const got = await repliesTo(c, raw, 0);
      assert.deepEqual(got, []);
    });
  }

  test('no late replies either (quiet window), and still serving', async () => {
    const from = c.messages.length;
    await c.notify('notifications/unknown-late');
    await c.quiet(() => true, 300, from, 'reply to a notification');
    await c.assertAlive();
    c.assertCleanStdout();
  });
});

describe('duplicate in-flight id', () => {
  let c;
  before(async () => {
    c = await startInitialized();
  });
  after(async () => {
    if (c) await c.kill();
  });

  for (const id of [50, 'dup']) {
    test(`reusing ${typeof id} id ${JSON.stringify(id)} while in flight → -32600 for the duplicate; the original completes`,
      async () => {
        const from = c.messages.length;
        await c.send({
          jsonrpc: '2.0', id, method: 'tools/call', params: { name: 'slow_task', arguments: { steps: 10, interval_ms: 50 } },
        });
        await c.send({ jsonrpc: '2.0', id, method: 'ping' });
        const first = await c.waitFor(isResponseTo(id), WAIT_MS, { from, label: 'first reply for the id' });
        assert.equal(first.error?.code, -32600, `the duplicate is rejected: ${JSON.stringify(first)}`);
        const idx = c.indexOf(first);
        const second = await c.waitFor(isResponseTo(id), WAIT_MS, { from: idx + 1, label: 'the original result' });
        assert.ok(second.result, JSON.stringify(second));
        assert.equal(textOf(second.result), 'completed 10 steps');
        await c.assertAlive();
        const all = c.messages.slice(from).filter((e) => isResponseTo(id)(e.msg));
        assert.equal(all.length, 2, 'exactly two replies for the id');
      });
  }

  test('once the original finished, the id may be used again', async () => {
    const r = await c.request('ping', undefined, { id: 50 });
    assert.deepEqual(r.result, {});
  });

  test('stdout clean', () => c.assertCleanStdout());
});

describe('batches', () => {
  describe('in a 2025-03-26 session', () => {
    let c;
    before(async () => {
      c = await startInitialized('2025-03-26');
    });
    after(async () => {
      if (c) await c.kill();
    });

    test('requests + a notification → one array with one response per request', async () => {
      const got = await repliesTo(c, JSON.stringify([
        { jsonrpc: '2.0', id: 1001, method: 'ping' },
        { jsonrpc: '2.0', method: 'notifications/whatever' },
        { jsonrpc: '2.0', id: '1002', method: 'tools/call', params: { name: 'echo', arguments: { text: 'in batch' } } },
        { jsonrpc: '2.0', id: 1003, method: 'no/such' },
      ]) + '\n', 1);
      assert.equal(got.length, 1, JSON.stringify(got));
      const arr = got[0];
      assert.ok(Array.isArray(arr), `an array: ${JSON.stringify(arr)}`);
      assert.equal(arr.length, 3);
      const byId = new Map(arr.map((m) => [m.id, m]));
      assert.deepEqual(byId.get(1001)?.result, {});
      assert.equal(textOf(byId.get('1002')?.result ?? {}), 'in batch');
      assert.equal(byId.get(1003)?.error?.code, -32601);
    });

    test('only notifications → nothing at all', async () => {
      const got = await repliesTo(c, JSON.stringify([
        { jsonrpc: '2.0', method: 'notifications/a' }, { jsonrpc: '2.0', method: 'notifications/b' },
      ]) + '\n', 0);
      assert.deepEqual(got, []);
    });

    test('an empty array → a single -32600 (id null), not an array', async () => {
      const got = await repliesTo(c, '[]\n', 1);
      assert.equal(got.length, 1, JSON.stringify(got));
      assert.ok(!Array.isArray(got[0]));
      assert.equal(got[0].error?.code, -32600);
      assert.equal(got[0].id, null);
    });

    test('initialize inside a batch → -32600 for that element, the rest served', async () => {
      const got = await repliesTo(c, JSON.stringify([
        { jsonrpc: '2.0', id: 'bi', method: 'initialize', params: { protocolVersion: '2025-03-26', capabilities: {}, clientInfo: CLIENT_INFO } },
        { jsonrpc: '2.0', id: 'bp', method: 'ping' },
      ]) + '\n', 1);
      assert.equal(got.length, 1, JSON.stringify(got));
      assert.ok(Array.isArray(got[0]));
      const byId = new Map(got[0].map((m) => [m.id, m]));
      assert.equal(byId.get('bi')?.error?.code, -32600);
      assert.deepEqual(byId.get('bp')?.result, {});
      assert.equal(got[0].length, 2);
    });

    test('invalid elements → -32600 id null elements in the array', async () => {
      const got = await repliesTo(c, '[1, {"jsonrpc":"2.0","id":"ok","method":"ping"}, {"id":"nojr","method":"ping"}]\n', 1);
      assert.equal(got.length, 1, JSON.stringify(got));
      const arr = got[0];
      assert.ok(Array.isArray(arr), JSON.stringify(arr));
      assert.equal(arr.length, 3);
      assert.ok(arr.some((m) => m.id === null && m.error?.code === -32600), 'the 1 element');
      assert.deepEqual(arr.find((m) => m.id === 'ok')?.result, {});
      assert.equal(arr.find((m) => m.id === 'nojr')?.error?.code, -32600);
    });

    test('a batch of responses (to unknown ids) → nothing', async () => {
      const got = await repliesTo(c, '[{"jsonrpc":"2.0","id":77,"result":{}}]\n', 0);
      assert.deepEqual(got, []);
    });

    test('still serving; stdout clean', async () => {
      await c.assertAlive();
      c.assertCleanStdout();
    });
  });

  for (const rev of ['2024-11-05', '2025-06-18', '2025-11-25']) {
    test(`in a ${rev} session a batch → one -32600 (id null) saying batches are not supported`, async () => {
      const c = await startInitialized(rev);
      try {
        const got = await repliesTo(c, JSON.stringify([
          { jsonrpc: '2.0', id: 1, method: 'ping' }, { jsonrpc: '2.0', id: 2, method: 'tools/list' },
        ]) + '\n', 1);
        assert.equal(got.length, 1, JSON.stringify(got));
        assert.ok(!Array.isArray(got[0]), 'not an array');
        assert.equal(got[0].error?.code, -32600);
        assert.equal(got[0].id, null);
        assert.match(got[0].error.message, /batch/i);
        assert.match(got[0].error.message, /not supported|unsupported|not allowed/i);
        // The elements were not executed.
        assert.ok(!c.received.some((m) => m && m.id === 2));
        const empty = await repliesTo(c, '[]\n', 1);
        assert.equal(empty.length, 1);
        assert.equal(empty[0].error?.code, -32600);
        c.assertCleanStdout();
      } finally {
        await c.kill();
      }
    });
  }
});

describe('before initialize', () => {
  let c;
  before(() => {
    c = spawnEverything();
  });
  after(async () => {
    if (c) await c.kill();
  });

  test('requests other than initialize/ping → -32600 echoing the id; ping → {}', async () => {
    const p = await c.request('ping', undefined, { id: 'p0' });
    assert.deepEqual(p, { jsonrpc: '2.0', id: 'p0', result: {} });
    for (const [method, params, id] of [
      ['tools/list', {}, 1], ['tools/call', { name: 'echo', arguments: { text: 'x' } }, '2'],
      ['resources/read', { uri: 'test://static-text' }, 3], ['completion/complete', {}, 4], ['no/such', {}, 5],
    ]) {
      const r = await c.request(method, params, { id });
      assert.equal(r.id, id);
      assert.equal(r.error?.code, -32600, `${method}: ${JSON.stringify(r)}`);
    }
  });

  test('notifications before initialize are not answered', async () => {
    const got = await repliesTo(c, '{"jsonrpc":"2.0","method":"notifications/initialized"}\n', 0);
    assert.deepEqual(got, []);
  });

  test('malformed input before initialize → -32700 id null, and initialize still works', async () => {
    const got = await repliesTo(c, '{oops\n', 1);
    assert.equal(got.length, 1);
    assert.equal(got[0].error?.code, -32700);
    assert.equal(got[0].id, null);
    const init = await c.initialize('2025-06-18');
    assert.equal(init.protocolVersion, '2025-06-18');
    const tools = await c.call('tools/list', {});
    assert.ok(tools.tools.length > 0);
    await c.assertAlive();
    c.assertCleanStdout();
  });
});
