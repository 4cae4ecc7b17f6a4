// Concurrency and shutdown under load over raw stdio: pipelined requests, a one-worker pool, server→client
// requests that block a worker, request deadlines, cancellation races, and EOF while work is stuck.

import { test, describe, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  startInitialized, killAllSpawned, WAIT_MS, textOf, isResponseTo, isNotification, finish,
} from '../lib/raw-stdio.mjs';

after(killAllSpawned);

const SAMPLING_REPLY = {
  role: 'assistant', content: { type: 'text', text: 'client says hi' }, model: 'test-model', stopReason: 'endTurn',
};

describe('pipelining', () => {
  test('1000 pings in one write → 1000 answers, each id exactly once', async () => {
    const c = await startInitialized();
    try {
      const n = 1000;
      let raw = '';
      for (let i = 0; i < n; i++) raw += JSON.stringify({ jsonrpc: '2.0', id: `q${i}`, method: 'ping' }) + '\n';
      const from = c.messages.length;
      const done = c.waitFor(() => c.messages.length - from >= n, WAIT_MS, { from, label: `${n} ping answers` });
      await c.send(raw);
      await done;
      const extra = c.messages.slice(from).filter((e) => !(typeof e.msg.id === 'string' && e.msg.id.startsWith('q')));
      assert.deepEqual(extra.map((e) => e.line), []);
      const ids = c.messages.slice(from).map((e) => e.msg.id);
      assert.equal(new Set(ids).size, n, 'no duplicates');
      assert.ok(c.messages.slice(from).every((e) => e.msg.result && Object.keys(e.msg.result).length === 0));
      await c.assertAlive();
      await finish(c);
    } finally {
      await c.kill();
    }
  });

  test('300 tools/call echo in one write → each answered once, correctly (or with an explicit error)', async () => {
    const c = await startInitialized();
    try {
      const n = 300;
      let raw = '';
      for (let i = 0; i < n; i++) {
        raw += JSON.stringify({ jsonrpc: '2.0', id: i + 1000, method: 'tools/call', params: { name: 'echo', arguments: { text: `m${i}` } } }) + '\n';
      }
      const from = c.messages.length;
      const want = new Set(Array.from({ length: n }, (_, i) => i + 1000));
      const done = c.waitFor(() => c.messages.slice(from).filter((e) => want.has(e.msg.id)).length >= n, WAIT_MS,
        { from, label: `${n} echo answers` });
      await c.send(raw);
      await done;
      await c.assertAlive();
      const byId = new Map();
      for (const e of c.messages.slice(from)) {
        if (!want.has(e.msg.id)) continue;
        assert.ok(!byId.has(e.msg.id), `id ${e.msg.id} answered twice`);
        byId.set(e.msg.id, e.msg);
      }
      let ok = 0;
      for (const [id, m] of byId) {
        if (m.result) {
          assert.equal(textOf(m.result), `m${id - 1000}`);
          ok++;
        } else {
          assert.equal(typeof m.error?.code, 'number', JSON.stringify(m));
        }
      }
      assert.ok(ok > 0, 'at least some calls succeed');
      await finish(c);
    } finally {
      await c.kill();
    }
  });
});

describe('backpressure', () => {
  test('a client that stops reading stdout for a while loses nothing once it reads again (19 MiB of echoes)', async () => {
    const c = await startInitialized();
    try {
      c.proc.stdout.pause();
      const text = 'z'.repeat(64 * 1024);
      const n = 300;
      let raw = '';
      for (let i = 0; i < n; i++) {
        raw += JSON.stringify({ jsonrpc: '2.0', id: i, method: 'tools/call', params: { name: 'echo', arguments: { text } } }) + '\n';
      }
      const from = c.messages.length;
      const written = c.send(raw);
      // Let the server fill the stdout pipe and block; nothing can be read meanwhile.
      await new Promise((r) => setTimeout(r, 500));
      assert.equal(c.messages.length, from);
      c.proc.stdout.resume();
      await written;
      await c.waitFor(() => c.messages.length - from >= n, WAIT_MS, { from, label: `${n} echo answers` });
      const got = c.messages.slice(from).map((e) => e.msg);
      assert.deepEqual(got.map((m) => m.id).sort((a, b) => a - b), Array.from({ length: n }, (_, i) => i));
      assert.ok(got.every((m) => m.result && textOf(m.result) === text), 'every echo intact');
      await c.assertAlive();
      await finish(c);
    } finally {
      await c.kill();
    }
  });
});

describe('--workers 1', () => {
  test('ping is answered promptly while slow tasks occupy the only worker', async () => {
    const c = await startInitialized(undefined, ['--workers', '1']);
    try {
      const from = c.messages.length;
      for (const id of ['w1', 'w2', 'w3']) {
        await c.send({ jsonrpc: '2.0', id, method: 'tools/call', params: { name: 'slow_task', arguments: { steps: 5, interval_ms: 50 } } });
      }
      const t0 = Date.now();
      await c.assertAlive();
      assert.ok(Date.now() - t0 < 1000, `ping took ${Date.now() - t0} ms`);
      for (const id of ['w1', 'w2', 'w3']) {
        const r = await c.waitFor(isResponseTo(id), WAIT_MS, { from, label: id });
        assert.ok(r.result || r.error, JSON.stringify(r));
        if (r.result) assert.equal(textOf(r.result), 'completed 5 steps');
      }
      await finish(c);
    } finally {
      await c.kill();
    }
  });

  test('test_sampling completes: the client reply is handled while the tool holds the only worker', async () => {
    const c = await startInitialized(undefined, ['--workers', '1'], { sampling: {} },
      { autoRespond: { 'sampling/createMessage': () => SAMPLING_REPLY } });
    try {
      const r1 = c.request('tools/call', { name: 'test_sampling', arguments: { prompt: 'one' } }, { id: 's1' });
      const r2 = c.request('tools/call', { name: 'test_sampling', arguments: { prompt: 'two' } }, { id: 's2' });
      for (const r of await Promise.all([r1, r2])) {
        assert.ok(r.result, JSON.stringify(r));
        assert.equal(textOf(r.result), 'LLM response: client says hi');
      }
      await finish(c);
    } finally {
      await c.kill();
    }
  });
});

describe('server→client requests', () => {
  test('concurrent sampling requests carry distinct ids; each reply reaches its own call', async () => {
    const c = await startInitialized(undefined, [], { sampling: {} }, {
      autoRespond: {
        'sampling/createMessage': (p) => ({ ...SAMPLING_REPLY, content: { type: 'text', text: `re:${p.messages[0].content.text}` } }),
      },
    });
    try {
      const ids = ['c1', 'c2', 'c3', 'c4', 'c5'];
      const rs = await Promise.all(ids.map((id) => c.request('tools/call',
        { name: 'test_sampling', arguments: { prompt: `p-${id}` } }, { id })));
      rs.forEach((r, i) => assert.equal(textOf(r.result), `LLM response: re:p-${ids[i]}`, JSON.stringify(r)));
      const reqIds = c.received.filter((m) => m.method === 'sampling/createMessage').map((m) => m.id);
      assert.equal(reqIds.length, ids.length);
      assert.equal(new Set(reqIds.map((x) => JSON.stringify(x))).size, reqIds.length, 'server request ids are unique');
      await finish(c);
    } finally {
      await c.kill();
    }
  });
});

describe('deadlines and cancellation races', () => {
  test('--request-timeout-ms 300: a 5 s slow_task ends early with a failure, and the server keeps serving', async () => {
    const c = await startInitialized(undefined, ['--request-timeout-ms', '300']);
    try {
      const t0 = Date.now();
      const r = await c.request('tools/call', { name: 'slow_task', arguments: { steps: 100, interval_ms: 50 } }, { id: 'dl' });
      const ms = Date.now() - t0;
      assert.ok(ms < 3000, `answered after ${ms} ms (deadline 300 ms)`);
      assert.ok(r.error || r.result?.isError === true, `a failure, not a success: ${JSON.stringify(r)}`);
      await c.assertAlive();
      await finish(c);
    } finally {
      await c.kill();
    }
  });

  test('cancel written in the same chunk as its request → never answered', async () => {
    const c = await startInitialized();
    try {
      const from = c.messages.length;
      await c.send(JSON.stringify({ jsonrpc: '2.0', id: 'race', method: 'tools/call', params: { name: 'slow_task', arguments: { steps: 20, interval_ms: 50 } } }) +
        '\n' + JSON.stringify({ jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: 'race' } }) + '\n');
      await c.assertAlive();
      await c.quiet(isResponseTo('race'), 1500, from, 'response to the cancelled request');
      await finish(c);
    } finally {
      await c.kill();
    }
  });

  test('a cancelled test_sampling call is not answered, and a late client reply is ignored', async () => {
    let samplingReq;
    let gotReq;
    const reqSeen = new Promise((r) => {
      gotReq = r;
    });
    const c = await startInitialized(undefined, [], { sampling: {} }, {
      autoRespond: {
        'sampling/createMessage': (p, m) => {
          samplingReq = m;
          gotReq();
          return new Promise(() => {}); // never answer automatically
        },
      },
    });
    try {
      const from = c.messages.length;
      await c.send({ jsonrpc: '2.0', id: 'cs', method: 'tools/call', params: { name: 'test_sampling', arguments: { prompt: 'x' } } });
      await reqSeen;
      await c.notify('notifications/cancelled', { requestId: 'cs', reason: 'user' });
      await c.assertAlive();
      await c.send({ jsonrpc: '2.0', id: samplingReq.id, result: SAMPLING_REPLY });
      await c.assertAlive();
      await c.quiet(isResponseTo('cs'), 500, from, 'response to the cancelled sampling call');
      await finish(c);
    } finally {
      await c.kill();
    }
  });
});

describe('EOF while work is stuck', () => {
  test('EOF during a 50 s slow_task → exit 0 within the 5 s grace', async () => {
    const c = await startInitialized();
    try {
      await c.send({
        jsonrpc: '2.0', id: 'long', method: 'tools/call',
        params: { name: 'slow_task', arguments: { steps: 1000, interval_ms: 50 }, _meta: { progressToken: 'long' } },
      });
      await c.waitFor(isNotification('notifications/progress'), WAIT_MS, { label: 'first progress of the long task' });
      const t0 = Date.now();
      const st = await c.close(12000);
      const ms = Date.now() - t0;
      assert.equal(st.timedOut, false, 'exits by itself');
      assert.equal(st.code, 0);
      assert.ok(ms < 8000, `exited after ${ms} ms`);
      await finish(c);
    } finally {
      await c.kill();
    }
  });

  test('EOF while a tool waits for a sampling reply → exit 0 within the 5 s grace', async () => {
    let gotReq;
    const reqSeen = new Promise((r) => {
      gotReq = r;
    });
    const c = await startInitialized(undefined, [], { sampling: {} }, {
      autoRespond: {
        'sampling/createMessage': () => {
          gotReq();
          return new Promise(() => {});
        },
      },
    });
    try {
      await c.send({ jsonrpc: '2.0', id: 'stuck', method: 'tools/call', params: { name: 'test_sampling', arguments: { prompt: 'x' } } });
      await reqSeen;
      const t0 = Date.now();
      const st = await c.close(12000);
      const ms = Date.now() - t0;
      assert.equal(st.timedOut, false, 'exits by itself');
      assert.equal(st.code, 0);
      assert.ok(ms < 8000, `exited after ${ms} ms`);
      await finish(c);
    } finally {
      await c.kill();
    }
  });
});
