// JSON-RPC envelope rules over raw stdio: member types, ids and their JSON types, unknown methods,
// notifications never answered, responses to unknown ids, duplicate in-flight ids, batches per revision,
// and the pre-initialize gate. Every group ends with a ping proving the server still serves.

import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  startInitialized, spawnEverything, killAllSpawned, WAIT_MS, isResponseTo, textOf, CLIENT_INFO, finish,
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
    await finish(c);
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
    await finish(c);
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
    await finish(c);
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
    await finish(c);
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
      await finish(c);
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

    test('a duplicate id inside one batch → -32600 for the duplicate, the original completes', async () => {
      const st = { jsonrpc: '2.0', id: 707, method: 'tools/call', params: { name: 'slow_task', arguments: { steps: 3, interval_ms: 30 } } };
      const got = await repliesTo(c, JSON.stringify([st, st]) + '\n', 1);
      assert.equal(got.length, 1, JSON.stringify(got));
      assert.ok(Array.isArray(got[0]));
      const codes = got[0].map((m) => (m.error ? m.error.code : textOf(m.result)));
      assert.deepEqual([...codes].sort(), [-32600, 'completed 3 steps'].sort());
      assert.ok(got[0].every((m) => m.id === 707));
    });

    test('progress of a batched call precedes the batch array', async () => {
      const from = c.messages.length;
      await c.send(JSON.stringify([{
        jsonrpc: '2.0', id: 'bp1', method: 'tools/call',
        params: { name: 'slow_task', arguments: { steps: 3, interval_ms: 20 }, _meta: { progressToken: 'btok' } },
      }]) + '\n');
      const arr = await c.waitFor((m) => Array.isArray(m), WAIT_MS, { from, label: 'the batch array' });
      assert.equal(arr.length, 1);
      assert.equal(textOf(arr[0].result), 'completed 3 steps');
      const idx = c.indexOf(arr);
      const prog = c.messages.slice(from, idx).filter((e) => e.msg.method === 'notifications/progress');
      assert.deepEqual(prog.map((e) => [e.msg.params.progressToken, e.msg.params.progress]), [['btok', 1], ['btok', 2], ['btok', 3]]);
    });

    test('a 1000-element batch → one array of 1000 responses', async () => {
      const batch = Array.from({ length: 1000 }, (_, i) => ({ jsonrpc: '2.0', id: 5000 + i, method: 'ping' }));
      const got = await repliesTo(c, JSON.stringify(batch) + '\n', 1);
      assert.equal(got.length, 1);
      assert.ok(Array.isArray(got[0]));
      assert.equal(got[0].length, 1000);
      assert.deepEqual(got[0].map((m) => m.id).sort((a, b) => a - b), batch.map((m) => m.id));
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
        await finish(c);
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
    await finish(c);
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

describe('strings with an escaped NUL (\\u0000) are never silently truncated', () => {
  let c;
  before(async () => {
    c = await startInitialized();
  });
  after(async () => {
    await finish(c);
  });

  // Acting on the part before the NUL would dispatch a method, tool, resource or level the client did not
  // name. The server may reject the whole message (-32700) or the value; it must not succeed.
  for (const [label, raw, codes] of [
    ['method "ping\\u0000junk"', '{"jsonrpc":"2.0","id":"z1","method":"ping\\u0000junk"}\n', [-32601, -32600, -32700]],
    ['tool name "echo\\u0000x"', '{"jsonrpc":"2.0","id":"z2","method":"tools/call","params":{"name":"echo\\u0000x","arguments":{"text":"t"}}}\n',
      [-32602, -32700]],
    ['resource uri "test://static-text\\u0000junk"', '{"jsonrpc":"2.0","id":"z3","method":"resources/read","params":{"uri":"test://static-text\\u0000junk"}}\n',
      [-32002, -32602, -32700]],
    ['log level "info\\u0000x"', '{"jsonrpc":"2.0","id":"z4","method":"logging/setLevel","params":{"level":"info\\u0000x"}}\n',
      [-32602, -32700]],
    ['prompt name "test_simple_prompt\\u0000x"', '{"jsonrpc":"2.0","id":"z5","method":"prompts/get","params":{"name":"test_simple_prompt\\u0000x"}}\n',
      [-32602, -32700]],
  ]) {
    test(`${label} is not acted on as its prefix`, async () => {
      const got = await c.exchange(raw, 1);
      assert.equal(got.length, 1, JSON.stringify(got));
      assert.ok(!('result' in got[0]), `must not succeed: ${JSON.stringify(got[0])}`);
      assert.ok(codes.includes(got[0].error?.code), `code in ${codes}: ${JSON.stringify(got[0])}`);
    });
  }

  test('echo of "a\\u0000b" returns exactly "a\\u0000b" (or rejects it), never "a"', async () => {
    const got = await c.exchange('{"jsonrpc":"2.0","id":"z6","method":"tools/call","params":{"name":"echo","arguments":{"text":"a\\u0000b"}}}\n', 1);
    assert.equal(got.length, 1, JSON.stringify(got));
    if ('result' in got[0] && got[0].result.isError !== true) {
      assert.equal(textOf(got[0].result), 'a\u0000b', 'no truncation at the NUL');
    }
  });

  // Bulwark refuses \u0000 inside strings outright (a C handler would otherwise see a truncated string), so an id
  // holding one cannot be read: the answer is a parse error with id null, never a reply to a truncated id "a".
  test('an id containing NUL is refused as a parse error, never echoed truncated', async () => {
    const got = await c.exchange('{"jsonrpc":"2.0","id":"a\\u0000b","method":"ping"}\n', 1);
    assert.equal(got[0].id, null);
    assert.equal(got[0].error.code, -32700);
    assert.match(got[0].error.message, /u0000/);
  });

  test('still serving; stdout clean', async () => {
    await c.assertAlive();
    c.assertCleanStdout();
  });
});

describe('id types are never conflated', () => {
  let c;
  before(async () => {
    c = await startInitialized();
  });
  after(async () => {
    await finish(c);
  });

  test('in-flight 61 and "61" are distinct requests, both answered normally', async () => {
    const from = c.messages.length;
    await c.send({ jsonrpc: '2.0', id: 61, method: 'tools/call', params: { name: 'slow_task', arguments: { steps: 4, interval_ms: 50 } } });
    await c.send({ jsonrpc: '2.0', id: '61', method: 'tools/call', params: { name: 'slow_task', arguments: { steps: 2, interval_ms: 50 } } });
    const n = await c.waitFor(isResponseTo(61), WAIT_MS, { from, label: 'integer 61' });
    const s = await c.waitFor(isResponseTo('61'), WAIT_MS, { from, label: 'string "61"' });
    assert.equal(textOf(n.result), 'completed 4 steps', JSON.stringify(n));
    assert.equal(textOf(s.result), 'completed 2 steps', JSON.stringify(s));
  });

  test('notifications/cancelled with requestId "62" does not cancel request 62', async () => {
    const from = c.messages.length;
    await c.send({ jsonrpc: '2.0', id: 62, method: 'tools/call', params: { name: 'slow_task', arguments: { steps: 6, interval_ms: 50 } } });
    await c.assertAlive(); // the call was read
    await c.notify('notifications/cancelled', { requestId: '62', reason: 'wrong type' });
    const r = await c.waitFor(isResponseTo(62), WAIT_MS, { from, label: 'response to 62' });
    assert.equal(textOf(r.result), 'completed 6 steps');
  });
});
