// Framing and decoding over raw stdio: malformed JSON, invalid UTF-8, over-limit lines (with resync), deep
// nesting, messages split across writes, CRLF, blank lines. Every case ends by proving the server still
// serves (ping → {}).

import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as delay } from 'node:timers/promises';
import {
  startInitialized, spawnEverything, killAllSpawned, WAIT_MS, isResponseTo, isErrorResponse, textOf, finish,
} from '../lib/raw-stdio.mjs';

after(killAllSpawned);

const nullIdError = (m) => isErrorResponse(m) && m.id === null;


function nested(depth, leaf = 1) {
  return '['.repeat(depth) + JSON.stringify(leaf) + ']'.repeat(depth);
}

describe('malformed input (default limits)', () => {
  let c;
  before(async () => {
    c = await startInitialized();
  });
  after(async () => {
    await finish(c);
  });

  for (const [label, raw] of [
    ['truncated object', '{"jsonrpc":"2.0","id":1,"method":\n'],
    ['garbage text', 'hello world\n'],
    ['trailing comma', '{"jsonrpc":"2.0","id":2,"method":"ping",}\n'],
    ['single quotes', "{'jsonrpc':'2.0','id':3,'method':'ping'}\n"],
    ['two objects on one line', '{"jsonrpc":"2.0","id":4,"method":"ping"}{"jsonrpc":"2.0","id":5,"method":"ping"}\n'],
    ['unterminated string', '{"jsonrpc":"2.0","id":6,"method":"ping\n'],
    ['NaN literal', '{"jsonrpc":"2.0","id":7,"method":"ping","params":{"x":NaN}}\n'],
  ]) {
    test(`${label} → exactly one -32700 with id null`, async () => {
      const got = await c.exchange(raw, 1);
      assert.equal(got.length, 1, `exactly one error: ${JSON.stringify(got)}`);
      assert.equal(got[0].error?.code, -32700, JSON.stringify(got[0]));
      assert.ok('id' in got[0], 'the error carries an id member');
      assert.equal(got[0].id, null);
      assert.equal(typeof got[0].error.message, 'string');
    });
  }

  for (const [label, bytes] of [
    ['0xff in a string', Buffer.concat([Buffer.from('{"jsonrpc":"2.0","id":10,"method":"ping","params":{"x":"'),
      Buffer.from([0xff, 0xfe]), Buffer.from('"}}\n')])],
    ['a truncated 3-byte sequence', Buffer.concat([Buffer.from('{"jsonrpc":"2.0","id":11,"method":"ping","params":{"x":"'),
      Buffer.from([0xe2, 0x82]), Buffer.from('"}}\n')])],
    ['an overlong encoding of "/"', Buffer.concat([Buffer.from('{"jsonrpc":"2.0","id":12,"method":"ping","params":{"x":"'),
      Buffer.from([0xc0, 0xaf]), Buffer.from('"}}\n')])],
    ['a UTF-16 surrogate encoded in UTF-8', Buffer.concat([Buffer.from('{"jsonrpc":"2.0","id":13,"method":"ping","params":{"x":"'),
      Buffer.from([0xed, 0xa0, 0x80]), Buffer.from('"}}\n')])],
    ['invalid byte outside strings', Buffer.concat([Buffer.from('{"jsonrpc":"2.0","id":14,"method":"ping"'),
      Buffer.from([0x80]), Buffer.from('}\n')])],
  ]) {
    test(`invalid UTF-8 (${label}) → -32700 with id null`, async () => {
      const got = await c.exchange(bytes, 1);
      assert.equal(got.length, 1, JSON.stringify(got));
      assert.equal(got[0].error?.code, -32700, JSON.stringify(got[0]));
      assert.equal(got[0].id, null);
    });
  }

  test('valid JSON that is not an object (42, "str", null, true) → -32600 with id null', async () => {
    for (const raw of ['42\n', '"str"\n', 'null\n', 'true\n']) {
      const got = await c.exchange(raw, 1);
      assert.equal(got.length, 1, `${raw.trim()}: ${JSON.stringify(got)}`);
      assert.equal(got[0].error?.code, -32600, `${raw.trim()}: ${JSON.stringify(got[0])}`);
      assert.equal(got[0].id, null);
    }
  });

  test('a line of 1 MiB (under the default limit) is served', async () => {
    const text = 'x'.repeat(1024 * 1024);
    const r = await c.call('tools/call', { name: 'echo', arguments: { text } });
    assert.equal(textOf(r), text);
  });

  test('a line over the default 4 MiB → one -32600 id null mentioning the limit; the next line is served',
    async () => {
      const text = 'y'.repeat(4 * 1024 * 1024 + 100);
      const line = JSON.stringify({ jsonrpc: '2.0', id: 'big', method: 'tools/call', params: { name: 'echo', arguments: { text } } }) + '\n';
      const got = await c.exchange(line, 1);
      assert.equal(got.length, 1, `exactly one error, got ${got.length}`);
      assert.equal(got[0].error?.code, -32600, JSON.stringify(got[0]).slice(0, 300));
      assert.equal(got[0].id, null);
      assert.match(got[0].error.message, /limit|too (large|long|big)|exceed/i);
      assert.ok(!c.messages.some((e) => isResponseTo('big')(e.msg)), 'the oversized request is not executed');
    });

  test('nesting 100 deep (default max 64) → -32600 id null mentioning depth', async () => {
    const line = `{"jsonrpc":"2.0","id":"deep","method":"ping","params":{"x":${nested(100)}}}\n`;
    const got = await c.exchange(line, 1);
    assert.equal(got.length, 1, JSON.stringify(got));
    assert.equal(got[0].error?.code, -32600, JSON.stringify(got[0]));
    assert.equal(got[0].id, null);
    assert.match(got[0].error.message, /depth|nest/i);
  });

  test('nesting 100 000 deep (objects) → -32600 id null, no crash', async () => {
    const depth = 100000;
    const line = '{"jsonrpc":"2.0","id":"deeper","method":"ping","params":' + '{"a":'.repeat(depth) + '1' +
      '}'.repeat(depth) + '}\n';
    const got = await c.exchange(line, 1);
    assert.equal(got.length, 1, JSON.stringify(got).slice(0, 300));
    assert.equal(got[0].error?.code, -32600);
    assert.equal(got[0].id, null);
  });

  test('nesting 30 deep (under the limit) is accepted', async () => {
    const r = await c.request('tools/call', { name: 'echo', arguments: { text: 'n' }, _meta: { x: JSON.parse(nested(30)) } });
    assert.ok(r.result, JSON.stringify(r));
  });

  test('stdout stayed clean', () => c.assertCleanStdout());
});

describe('line handling', () => {
  let c;
  before(async () => {
    c = await startInitialized();
  });
  after(async () => {
    await finish(c);
  });

  test('a message split across several writes (mid-token and mid-UTF-8 character) is reassembled', async () => {
    const text = 'split → 世界';
    const line = Buffer.from(JSON.stringify({
      jsonrpc: '2.0', id: 'split', method: 'tools/call', params: { name: 'echo', arguments: { text } },
    }) + '\n');
    const arrow = line.indexOf(Buffer.from('→'));
    const cuts = [3, 17, arrow + 1, arrow + 2, line.length - 1];
    const from = c.messages.length;
    const resp = c.waitFor(isResponseTo('split'), WAIT_MS, { from, label: 'split response' });
    let prev = 0;
    for (const cut of cuts) {
      await c.send(line.subarray(prev, cut));
      prev = cut;
      await delay(30); // force separate reads on the server side
    }
    assert.equal(c.messages.length, from, 'nothing answered before the newline arrived');
    await c.send(line.subarray(prev));
    const r = await resp;
    assert.equal(textOf(r.result), text);
  });

  test('two messages in one write are both served', async () => {
    const from = c.messages.length;
    await c.send('{"jsonrpc":"2.0","id":"m1","method":"ping"}\n{"jsonrpc":"2.0","id":"m2","method":"ping"}\n');
    await c.waitFor(isResponseTo('m1'), WAIT_MS, { from, label: 'm1' });
    await c.waitFor(isResponseTo('m2'), WAIT_MS, { from, label: 'm2' });
  });

  test('CRLF line endings are accepted', async () => {
    const from = c.messages.length;
    await c.send('{"jsonrpc":"2.0","id":"crlf1","method":"ping"}\r\n{"jsonrpc":"2.0","id":"crlf2","method":"tools/list"}\r\n');
    const a = await c.waitFor(isResponseTo('crlf1'), WAIT_MS, { from, label: 'crlf1' });
    const b = await c.waitFor(isResponseTo('crlf2'), WAIT_MS, { from, label: 'crlf2' });
    assert.deepEqual(a.result, {});
    assert.ok(Array.isArray(b.result?.tools), JSON.stringify(b));
    assert.equal(c.messages.slice(from).filter((e) => isErrorResponse(e.msg)).length, 0, 'no errors');
  });

  test('blank lines (LF and CRLF) are ignored', async () => {
    const got = await c.exchange('\n\n\r\n\n', 0);
    assert.deepEqual(got, [], 'nothing but the ping answer');
  });

  test('leading/trailing whitespace around a message is accepted', async () => {
    const from = c.messages.length;
    await c.send('  \t{"jsonrpc":"2.0","id":"ws","method":"ping"}  \n');
    const r = await c.waitFor(isResponseTo('ws'), WAIT_MS, { from, label: 'ws' });
    assert.deepEqual(r.result, {});
  });

  test('a NUL byte inside a line → -32700 id null', async () => {
    const got = await c.exchange(Buffer.from('{"jsonrpc":"2.0","id":"nul","method":"ping"}\0\n'), 1);
    assert.equal(got.length, 1, JSON.stringify(got));
    assert.equal(got[0].error?.code, -32700);
    assert.equal(got[0].id, null);
  });

  test('stdout stayed clean', () => c.assertCleanStdout());
});

describe('configured limits (--max-message-bytes 1024 --max-depth 8)', () => {
  let c;
  before(async () => {
    c = await startInitialized(undefined, ['--max-message-bytes', '1024', '--max-depth', '8']);
  });
  after(async () => {
    await finish(c);
  });

  test('a 900-byte line is served', async () => {
    const text = 'a'.repeat(800);
    const r = await c.call('tools/call', { name: 'echo', arguments: { text } });
    assert.equal(textOf(r), text);
  });

  test('a 4000-byte line → one -32600 id null mentioning the limit; the next line is served', async () => {
    const text = 'b'.repeat(4000);
    const line = JSON.stringify({ jsonrpc: '2.0', id: 'big1', method: 'tools/call', params: { name: 'echo', arguments: { text } } }) + '\n';
    const got = await c.exchange(line, 1);
    assert.equal(got.length, 1, JSON.stringify(got));
    assert.equal(got[0].error?.code, -32600);
    assert.equal(got[0].id, null);
    assert.match(got[0].error.message, /limit|too (large|long|big)|exceed/i);
  });

  test('an over-limit line written in 64-byte chunks → still exactly one error', async () => {
    const line = Buffer.from(JSON.stringify({ jsonrpc: '2.0', id: 'big2', method: 'ping', params: { pad: 'c'.repeat(5000) } }) + '\n');
    const last = line.length - 64;
    for (let i = 0; i < last; i += 64) await c.send(line.subarray(i, Math.min(i + 64, last)));
    const got = await c.exchange(line.subarray(last), 1);
    assert.equal(got.length, 1, JSON.stringify(got));
    assert.equal(got[0].error?.code, -32600);
    assert.equal(got[0].id, null);
    assert.ok(!c.received.some(isResponseTo('big2')));
  });

  test('an over-limit line immediately followed by a request in the same write: the request is served', async () => {
    const big = JSON.stringify({ jsonrpc: '2.0', id: 'big3', method: 'ping', params: { pad: 'd'.repeat(3000) } });
    const from = c.messages.length;
    await c.send(`${big}\n{"jsonrpc":"2.0","id":"after-big","method":"ping"}\n`);
    const r = await c.waitFor(isResponseTo('after-big'), WAIT_MS, { from, label: 'the request after the big line' });
    assert.deepEqual(r.result, {});
    const errs = c.messages.slice(from).filter((e) => nullIdError(e.msg));
    assert.equal(errs.length, 1, 'one error for the big line');
    assert.equal(errs[0].msg.error.code, -32600);
  });

  test('depth 12 > 8 → -32600 id null mentioning depth; depth 3 accepted', async () => {
    const deep = `{"jsonrpc":"2.0","id":"d12","method":"ping","params":{"x":${nested(12)}}}\n`;
    const got = await c.exchange(deep, 1);
    assert.equal(got.length, 1, JSON.stringify(got));
    assert.equal(got[0].error?.code, -32600);
    assert.equal(got[0].id, null);
    assert.match(got[0].error.message, /depth|nest/i);
    const ok = await c.request('ping', { x: JSON.parse(nested(3)) }, { id: 'd3' });
    assert.deepEqual(ok.result, {}, JSON.stringify(ok));
  });

  test('stdout stayed clean', () => c.assertCleanStdout());
});

describe('limit boundaries (--max-message-bytes 200 --max-depth 8)', () => {
  let c;
  before(async () => {
    c = await startInitialized(undefined, ['--max-message-bytes', '200', '--max-depth', '8']);
  });
  after(async () => {
    await finish(c);
  });

  // A ping line of exactly `len` bytes (without the line ending).
  function pingLine(len, id) {
    const base = `{"jsonrpc":"2.0","id":"${id}","method":"ping","params":{"p":"`;
    const tail = '"}}';
    const line = base + 'x'.repeat(len - base.length - tail.length) + tail;
    assert.equal(Buffer.byteLength(line), len);
    return line;
  }

  test('a 200-byte line is served; a 201-byte line is over the limit', async () => {
    const ok = await c.exchange(pingLine(200, 'L200') + '\n', 1);
    assert.deepEqual(ok, [{ jsonrpc: '2.0', id: 'L200', result: {} }]);
    const over = await c.exchange(pingLine(201, 'L201') + '\n', 1);
    assert.equal(over.length, 1);
    assert.equal(over[0].error?.code, -32600);
    assert.equal(over[0].id, null);
  });

  test('the CR of a CRLF ending does not count toward the limit (a 200-byte message + CRLF is served)', async () => {
    const ok = await c.exchange(pingLine(200, 'C200') + '\r\n', 1);
    assert.deepEqual(ok, [{ jsonrpc: '2.0', id: 'C200', result: {} }]);
  });

  test('depth 8 (object → params → 6 arrays) is served; depth 9 is rejected', async () => {
    const at = (d, id) => `{"jsonrpc":"2.0","id":"${id}","method":"ping","params":{"x":${'['.repeat(d - 2)}${']'.repeat(d - 2)}}}\n`;
    const ok = await c.exchange(at(8, 'D8'), 1);
    assert.deepEqual(ok, [{ jsonrpc: '2.0', id: 'D8', result: {} }]);
    const deep = await c.exchange(at(9, 'D9'), 1);
    assert.equal(deep[0].error?.code, -32600);
    assert.equal(deep[0].id, null);
    assert.match(deep[0].error.message, /depth|deep|nest/i);
  });

  test('stdout stayed clean', () => c.assertCleanStdout());
});

describe('EOF edge cases', () => {
  test('EOF in the middle of a line → exit 0, nothing half-written', async () => {
    const c = spawnEverything();
    await c.send('{"jsonrpc":"2.0","id":1,"method":"pi');
    const st = await c.close();
    assert.equal(st.timedOut, false);
    assert.equal(st.code, 0);
    c.assertCleanStdout();
  });

  test('EOF right after a request without a trailing newline → exit 0', async () => {
    const c = spawnEverything();
    await c.send('{"jsonrpc":"2.0","id":1,"method":"ping"}');
    const st = await c.close();
    assert.equal(st.code, 0);
    c.assertCleanStdout();
  });
});
