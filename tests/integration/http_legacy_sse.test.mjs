// The legacy HTTP+SSE transport (2024-11-05): GET /sse opens the stream, whose first event is `endpoint`
// (data `/messages?sessionId=<id>`); POST /messages?sessionId=<id> → 202, and the replies arrive as
// `event: message` on the /sse stream. Through the SDK's SSEClientTransport and raw.

import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { LoggingMessageNotificationSchema, ToolListChangedNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import { killAllSpawned, CLIENT_INFO } from '../lib/raw-stdio.mjs';
import {
  startHttp, finishHttp, WAIT_MS, request, open, req, notification, textOf, essence, sleep,
} from '../lib/http.mjs';
import { connectLegacySse, REQ_OPTS, collector, expectMcpError } from '../lib/http-sdk.mjs';

let server;
before(async () => {
  server = await startHttp();
});
// Registered before killAllSpawned so the clean SIGTERM shutdown is checked first (after hooks run in order).
after(async () => {
  await finishHttp(server);
});
after(killAllSpawned);

/** Open GET /sse and read the endpoint event. Returns {stream, endpoint, sessionId}. */
async function openLegacy(headers = {}) {
  const stream = await open(`${server.base}/sse`, { method: 'GET', headers: { Accept: 'text/event-stream', ...headers } });
  assert.equal(stream.status, 200, `GET /sse → 200 (got ${stream.status})`);
  assert.equal(essence(stream.contentType), 'text/event-stream');
  const first = await stream.sse.next(WAIT_MS);
  assert.ok(first, 'a first event');
  assert.equal(first.event, 'endpoint', `the first event is "endpoint": ${JSON.stringify(first)}`);
  const m = /^\/messages\?sessionId=([\x21-\x7e]+)$/.exec(first.data);
  assert.ok(m, `endpoint data is /messages?sessionId=<id>: ${JSON.stringify(first.data)}`);
  return { stream, endpoint: first.data, sessionId: decodeURIComponent(m[1]) };
}

function postMessage(endpoint, msg, headers = {}) {
  return request(`${server.base}${endpoint}`, {
    method: 'POST', headers: { 'Content-Type': 'application/json', ...headers }, body: msg,
  });
}

/** Wait for the `event: message` carrying the response to id on a legacy stream. */
async function responseOn(stream, id) {
  const got = await stream.sse.until((e) => e.json && e.json.id === id && !('method' in e.json), WAIT_MS, `the response to ${id}`);
  const ev = got.at(-1);
  assert.equal(ev.event, 'message', `responses arrive as event: message (${JSON.stringify(ev)})`);
  return ev.json;
}

describe('SDK SSEClientTransport against /sse', () => {
  let s;
  const logs = collector('notifications/message');
  const changed = collector('tools/list_changed');
  before(async () => {
    s = await connectLegacySse(`${server.base}/sse`, {
      setup(client) {
        client.setNotificationHandler(LoggingMessageNotificationSchema, logs.handler);
        client.setNotificationHandler(ToolListChangedNotificationSchema, changed.handler);
      },
    });
  });
  after(async () => {
    await s?.close();
  });

  test('initialize: serverInfo and a negotiated revision', () => {
    assert.equal(s.client.getServerVersion().name, 'bulwark-everything');
  });

  test('ping, tools/list, tools/call echo and add, an unknown tool', async () => {
    assert.deepEqual(await s.client.ping(REQ_OPTS), {});
    const names = (await s.client.listTools({}, REQ_OPTS)).tools.map((t) => t.name);
    assert.ok(names.includes('echo') && names.includes('test_reconnection'));
    assert.equal(textOf(await s.client.callTool({ name: 'echo', arguments: { text: 'legacy ✓' } }, undefined, REQ_OPTS)), 'legacy ✓');
    assert.deepEqual((await s.client.callTool({ name: 'add', arguments: { a: 1, b: 2 } }, undefined, REQ_OPTS)).structuredContent, { sum: 3 });
    await expectMcpError(s.client.callTool({ name: 'nope', arguments: {} }, undefined, REQ_OPTS), -32602);
  });

  // Progress is checked on the raw stream below: the SDK handles a notification a microtask later than a response,
  // so when the last progress and the result arrive in one TCP chunk (EventSource dispatches them synchronously)
  // the SDK drops that progress as "unknown token" although the wire order is right.
  test('server notifications arrive on the stream: log messages during a call, list_changed', async () => {
    await s.client.setLoggingLevel('debug', REQ_OPTS);
    const from = logs.items.length;
    await s.client.callTool({ name: 'test_tool_with_logging', arguments: {} }, undefined, REQ_OPTS);
    await logs.waitCount(from + 3);
    assert.deepEqual(logs.items.slice(from, from + 3).map((n) => n.params.data),
      ['Tool execution started', 'Tool processing data', 'Tool execution completed']);
    await s.client.callTool({ name: 'toggle_extra_tool', arguments: {} }, undefined, REQ_OPTS);
    await changed.waitCount(1);
    await s.client.callTool({ name: 'toggle_extra_tool', arguments: {} }, undefined, REQ_OPTS);
    await changed.waitCount(2);
  });

  test('resources and prompts', async () => {
    const t = await s.client.readResource({ uri: 'test://template/5/data' }, REQ_OPTS);
    assert.equal(JSON.parse(t.contents[0].text).id, '5');
    assert.ok((await s.client.getPrompt({ name: 'test_simple_prompt' }, REQ_OPTS)).messages.length > 0);
  });

  test('no transport errors', () => {
    s.assertNoErrors();
  });
});

describe('raw legacy HTTP+SSE', () => {
  test('endpoint event first; POST /messages → 202; replies as event: message on /sse (2024-11-05)', async () => {
    const { stream, endpoint } = await openLegacy();
    try {
      const init = req('initialize', { protocolVersion: '2024-11-05', capabilities: {}, clientInfo: CLIENT_INFO });
      const a = await postMessage(endpoint, init);
      assert.equal(a.status, 202, a.text); // the body is free-form here (the TypeScript SDK sends "Accepted")
      const r = await responseOn(stream, init.id);
      assert.equal(r.result.protocolVersion, '2024-11-05');
      assert.equal((await postMessage(endpoint, notification('notifications/initialized'))).status, 202);
      const call = req('tools/call', { name: 'echo', arguments: { text: 'raw legacy' } });
      assert.equal((await postMessage(endpoint, call)).status, 202);
      assert.equal(textOf((await responseOn(stream, call.id)).result), 'raw legacy');
      for (const e of stream.sse.events.slice(1)) {
        if (e.data.trim() === '') continue;
        assert.equal(e.event, 'message', `every JSON-RPC event is event: message: ${JSON.stringify(e)}`);
        assert.ok(!e.data.includes('\n'), 'one data line per message');
      }
    } finally {
      stream.destroy();
    }
  });

  test('progress precedes the result on the stream, in order', async () => {
    const { stream, endpoint } = await openLegacy();
    try {
      const init = req('initialize', { protocolVersion: '2024-11-05', capabilities: {}, clientInfo: CLIENT_INFO });
      await postMessage(endpoint, init);
      await responseOn(stream, init.id);
      await postMessage(endpoint, notification('notifications/initialized'));
      for (let i = 0; i < 5; i++) {
        const call = req('tools/call', { name: 'slow_task', arguments: { steps: 3, interval_ms: 10 }, _meta: { progressToken: `lp${i}` } });
        assert.equal((await postMessage(endpoint, call)).status, 202);
        const got = await stream.sse.until((e) => e.json?.id === call.id, WAIT_MS, 'the result');
        const prog = got.filter((e) => e.json?.method === 'notifications/progress').map((e) => [e.json.params.progressToken, e.json.params.progress]);
        assert.deepEqual(prog, [[`lp${i}`, 1], [`lp${i}`, 2], [`lp${i}`, 3]]);
        assert.equal(textOf(got.at(-1).json.result), 'completed 3 steps');
      }
    } finally {
      stream.destroy();
    }
  });

  test('a server→client request (sampling) goes out on /sse; its answer POSTed to /messages → 202', async () => {
    const { stream, endpoint } = await openLegacy();
    try {
      const init = req('initialize', { protocolVersion: '2024-11-05', capabilities: { sampling: {} }, clientInfo: CLIENT_INFO });
      await postMessage(endpoint, init);
      await responseOn(stream, init.id);
      await postMessage(endpoint, notification('notifications/initialized'));
      const call = req('tools/call', { name: 'test_sampling', arguments: { prompt: 'legacy prompt' } });
      assert.equal((await postMessage(endpoint, call)).status, 202);
      const sreq = (await stream.sse.until((e) => e.json?.method === 'sampling/createMessage', WAIT_MS, 'sampling/createMessage')).at(-1).json;
      const ans = await postMessage(endpoint, {
        jsonrpc: '2.0', id: sreq.id, result: { role: 'assistant', content: { type: 'text', text: 'legacy answer' }, model: 'm', stopReason: 'endTurn' },
      });
      assert.equal(ans.status, 202);
      assert.equal(textOf((await responseOn(stream, call.id)).result), 'LLM response: legacy answer');
    } finally {
      stream.destroy();
    }
  });

  test('each GET /sse is its own session (distinct ids)', async () => {
    const a = await openLegacy();
    const b = await openLegacy();
    try {
      assert.notEqual(a.sessionId, b.sessionId);
    } finally {
      a.stream.destroy();
      b.stream.destroy();
    }
  });

  test('unknown sessionId → 404', async () => {
    const r = await postMessage('/messages?sessionId=does-not-exist', req('ping'));
    assert.equal(r.status, 404, r.text);
  });

  test('after the /sse stream is closed its sessionId is gone → 404', async () => {
    const { stream, endpoint } = await openLegacy();
    stream.destroy();
    let status;
    for (let i = 0; i < 50; i++) {
      status = (await postMessage(endpoint, req('ping'))).status;
      if (status === 404) break;
      await sleep(100);
    }
    assert.equal(status, 404, 'the session ends with its stream');
  });

  test('DNS rebinding protection applies to /sse and /messages', async () => {
    const bad = await request(`${server.base}/sse`, { method: 'GET', headers: { Accept: 'text/event-stream', Host: 'evil.example.com' } });
    assert.equal(bad.status, 403);
    const { stream, endpoint } = await openLegacy();
    try {
      const r = await postMessage(endpoint, req('ping'), { Origin: 'http://evil.example.com' });
      assert.equal(r.status, 403);
    } finally {
      stream.destroy();
    }
  });
});
