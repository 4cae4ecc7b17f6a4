// Lifecycle: initialize (capabilities, serverInfo, version negotiation), the pre-initialize gate, a second
// initialize, ping, logging/setLevel, and EOF on stdin → exit 0 after in-flight work.

import { test, describe, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  spawnEverything, startInitialized, killAllSpawned, REVISIONS, LATEST, CLIENT_INFO, WAIT_MS, textOf,
  isResponseTo, finish,
} from '../lib/raw-stdio.mjs';
import { connectSdk, finishSdk } from '../lib/sdk.mjs';

after(killAllSpawned);

describe('initialize with the SDK client', () => {
  let s;
  after(async () => {
    await finishSdk(s);
  });

  test('connects and reports serverInfo and capabilities', async () => {
    s = await connectSdk();
    const info = s.client.getServerVersion();
    assert.equal(info.name, 'bulwark-everything');
    assert.equal(typeof info.version, 'string');
    assert.ok(info.version.length > 0, 'serverInfo.version is non-empty');

    const caps = s.client.getServerCapabilities();
    assert.equal(typeof caps.tools, 'object', 'tools capability');
    assert.equal(caps.resources?.subscribe, true, 'resources.subscribe');
    assert.equal(caps.resources?.listChanged, true, 'resources.listChanged');
    assert.equal(caps.prompts?.listChanged, true, 'prompts.listChanged');
    assert.deepEqual(caps.logging, {}, 'logging: {}');
    assert.deepEqual(caps.completions, {}, 'completions: {}');
  });

  test('ping through the SDK', async () => {
    const r = await s.client.ping({ timeout: WAIT_MS });
    assert.deepEqual(r, {});
    s.assertNoErrors();
  });
});

describe('initialize on the wire', () => {
  for (const rev of REVISIONS) {
    test(`requested ${rev} is echoed`, async () => {
      const c = spawnEverything();
      try {
        const r = await c.request('initialize', { protocolVersion: rev, capabilities: {}, clientInfo: CLIENT_INFO });
        assert.ok(r.result, `initialize failed: ${JSON.stringify(r.error)}`);
        assert.equal(r.result.protocolVersion, rev);
        assert.equal(r.result.serverInfo.name, 'bulwark-everything');
        assert.equal(typeof r.result.serverInfo.version, 'string');
        const caps = r.result.capabilities;
        assert.equal(typeof caps.tools, 'object');
        assert.equal(caps.resources?.subscribe, true);
        assert.equal(caps.resources?.listChanged, true);
        assert.equal(caps.prompts?.listChanged, true);
        assert.deepEqual(caps.logging, {});
        if (rev === '2024-11-05') {
          assert.ok(!('completions' in caps), 'completions must be omitted for a 2024-11-05 session');
        } else {
          assert.deepEqual(caps.completions, {});
        }
        await finish(c);
      } finally {
        await c.kill();
      }
    });
  }

  for (const rev of ['2099-01-01', '2026-07-28', '2024-10-07', 'not-a-date']) {
    test(`unsupported ${rev} → answered with ${LATEST}`, async () => {
      const c = spawnEverything();
      try {
        const r = await c.request('initialize', { protocolVersion: rev, capabilities: {}, clientInfo: CLIENT_INFO });
        assert.ok(r.result, `initialize must not fail: ${JSON.stringify(r.error)}`);
        assert.equal(r.result.protocolVersion, LATEST);
        assert.deepEqual(r.result.capabilities.completions, {});
      } finally {
        await c.kill();
      }
    });
  }

  test('a second initialize → -32600, and the session keeps working', async () => {
    const c = await startInitialized('2025-06-18');
    try {
      const r = await c.request('initialize', { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: CLIENT_INFO },
        { id: 'again' });
      assert.equal(r.id, 'again');
      assert.equal(r.error?.code, -32600);
      assert.equal(typeof r.error.message, 'string');
      const tools = await c.call('tools/list', {});
      assert.ok(tools.tools.length > 0);
      await c.assertAlive();
      await finish(c);
    } finally {
      await c.kill();
    }
  });
});

describe('before initialize', () => {
  let c;
  after(async () => {
    await finish(c);
  });

  test('ping → {} before initialize', async () => {
    c = spawnEverything();
    const r = await c.request('ping', undefined, { id: 1 });
    assert.deepEqual(r, { jsonrpc: '2.0', id: 1, result: {} });
  });

  for (const [method, params] of [
    ['tools/list', {}],
    ['tools/call', { name: 'echo', arguments: { text: 'x' } }],
    ['resources/list', {}],
    ['prompts/list', {}],
    ['logging/setLevel', { level: 'info' }],
  ]) {
    test(`${method} before initialize → -32600 with the id echoed`, async () => {
      const id = `pre-${method}`;
      const r = await c.request(method, params, { id });
      assert.equal(r.id, id);
      assert.equal(r.error?.code, -32600, JSON.stringify(r));
      assert.ok(!('result' in r));
    });
  }

  test('the server keeps serving: initialize then tools/list succeed', async () => {
    const init = await c.initialize(LATEST);
    assert.equal(init.protocolVersion, LATEST);
    const tools = await c.call('tools/list', {});
    assert.ok(tools.tools.some((t) => t.name === 'echo'));
    c.assertCleanStdout();
  });
});

describe('ping and logging/setLevel', () => {
  let c;
  after(async () => {
    await finish(c);
  });

  test('ping → exactly {} (no keys), integer and string ids', async () => {
    c = await startInitialized();
    const a = await c.request('ping', undefined, { id: 41 });
    assert.deepEqual(a, { jsonrpc: '2.0', id: 41, result: {} });
    const b = await c.request('ping', {}, { id: '41' });
    assert.deepEqual(b, { jsonrpc: '2.0', id: '41', result: {} });
    assert.equal(Object.keys(b.result).length, 0);
  });

  test('logging/setLevel info → exactly {}', async () => {
    const r = await c.request('logging/setLevel', { level: 'info' });
    assert.ok(r.result, JSON.stringify(r));
    assert.deepEqual(r.result, {});
    assert.equal(Object.keys(r.result).length, 0);
  });

  for (const bad of [{ level: 'verbose' }, { level: 7 }, {}, { level: 'INFO' }]) {
    test(`logging/setLevel ${JSON.stringify(bad)} → -32602`, async () => {
      const r = await c.request('logging/setLevel', bad);
      assert.equal(r.error?.code, -32602, JSON.stringify(r));
    });
  }

  test('the session still serves', async () => {
    await c.assertAlive();
    c.assertCleanStdout();
  });
});

describe('shutdown', () => {
  test('EOF on stdin right after initialize → exit code 0', async () => {
    const c = await startInitialized();
    const st = await c.close(WAIT_MS);
    assert.equal(st.timedOut, false, 'server must exit on EOF');
    assert.equal(st.code, 0);
    assert.equal(st.signal, null);
    c.assertCleanStdout();
  });

  test('EOF with no input at all → exit code 0', async () => {
    const c = spawnEverything();
    const st = await c.close(WAIT_MS);
    assert.equal(st.timedOut, false);
    assert.equal(st.code, 0);
    assert.equal(c.messages.length, 0, 'nothing on stdout');
  });

  test('EOF while a tool runs → its response is still written, then exit 0', async () => {
    const c = await startInitialized();
    const id = 'inflight';
    const resp = c.waitFor(isResponseTo(id), WAIT_MS, { label: 'slow_task response' });
    await c.send({
      jsonrpc: '2.0', id, method: 'tools/call',
      params: { name: 'slow_task', arguments: { steps: 5, interval_ms: 100 } },
    });
    // Make sure the call is in flight before EOF: ping is answered only after the call was read.
    await c.assertAlive();
    const t0 = Date.now();
    const closing = c.close(WAIT_MS);
    const r = await resp;
    assert.ok(r.result, JSON.stringify(r));
    assert.equal(textOf(r.result), 'completed 5 steps');
    const st = await closing;
    assert.equal(st.timedOut, false);
    assert.equal(st.code, 0);
    assert.ok(Date.now() - t0 < 5000 + 2000, 'exits within the 5 s grace');
    c.assertCleanStdout();
  });

  test('stdout carries only JSON-RPC messages across a session', async () => {
    const c = await startInitialized();
    await c.call('tools/call', { name: 'echo', arguments: { text: 'hi' } });
    const st = await c.close();
    assert.equal(st.code, 0);
    c.assertCleanStdout();
  });
});
