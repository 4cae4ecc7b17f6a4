// Streamable HTTP (/mcp) end to end: the ready line and shutdown, every method through the official SDK client
// (StreamableHTTPClientTransport) stateful and stateless, progress, logging, sampling/elicitation/roots round trips,
// session-wide notifications on the standalone GET stream, and — with raw HTTP, to see the bytes — SSE framing,
// priming events, resumption with Last-Event-ID after a dropped stream, several concurrent streams per session,
// server→client requests answered by a separate POST, and 200 concurrent sessions.

import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import {
  CreateMessageRequestSchema, ElicitRequestSchema, ListRootsRequestSchema, LoggingMessageNotificationSchema,
  ToolListChangedNotificationSchema, ResourceUpdatedNotificationSchema,
} from '@modelcontextprotocol/sdk/types.js';
import { killAllSpawned, bulwarkBin, everythingBin, runCommand } from '../lib/raw-stdio.mjs';
import {
  startHttp, finishHttp, WAIT_MS, LATEST, SANITIZE, post, postOpen, getStream, initSession, call, req,
  notification, responseTo, textOf, essence, pool, sleep,
} from '../lib/http.mjs';
import { connectStreamable, REQ_OPTS, expectMcpError, collector } from '../lib/http-sdk.mjs';
import { FIXTURE_TOOLS } from '../lib/fixtures.mjs';

after(killAllSpawned);

const LEVELS = ['debug', 'info', 'notice', 'warning', 'error', 'critical', 'alert', 'emergency'];
const SAMPLING_REPLY = {
  role: 'assistant', content: { type: 'text', text: 'This is a test response from the client' }, model: 'test-model', stopReason: 'endTurn',
};
const ROOTS = [{ uri: 'file:///tmp/bulwark-root-a', name: 'Root A' }, { uri: 'file:///home/user/project%20b' }];
const PNG_SIG = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
const isPngB64 = (b64) => typeof b64 === 'string' && Buffer.from(b64, 'base64').subarray(0, 8).equals(PNG_SIG);

const isPriming = (e) => e.id !== undefined && e.id !== '' && e.data.trim() === '';

/** A session id must be visible ASCII and carry ≥128 bits: ≥32 hex digits, or ≥22 characters of a larger alphabet. */
function assertSessionId(id) {
  assert.equal(typeof id, 'string', 'Mcp-Session-Id header present');
  assert.match(id, /^[\x21-\x7e]+$/, `visible ASCII only: ${JSON.stringify(id)}`);
  const minLen = /^[0-9a-fA-F-]+$/.test(id) ? 32 + (id.match(/-/g)?.length ?? 0) : 22;
  assert.ok(id.length >= minLen, `≥128 bits: ${JSON.stringify(id)} is ${id.length} chars`);
}

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

// ------------------------------------------------------------------------------------------------------------
describe('start-up and shutdown', () => {
  test('--listen 127.0.0.1:0 → the first stderr line is "listening on http://127.0.0.1:PORT/mcp", then only request log lines; nothing on stdout', async () => {
    const s = await startHttp();
    try {
      assert.ok(s.port > 0);
      await call(s, (await initSession(s)).session, 'ping', undefined);
      await sleep(100);
      const lines = s.stderr.split('\n');
      assert.equal(lines.shift(), s.readyLine, 'the ready line comes first');
      assert.equal(lines.pop(), '', 'stderr ends with a complete line');
      // Request logs are on at info by default (JSON lines): one request_completed per request, nothing else.
      const logged = lines.map((l) => JSON.parse(l));
      assert.deepEqual(logged.map((o) => [o.level, o.msg, o.method, o.outcome]),
        [['info', 'request_completed', 'initialize', 'ok'], ['info', 'request_completed', 'ping', 'ok']],
        `stderr after the ready line: ${lines.join('\n')}`);
      assert.equal(s.stdout(), '', 'stdout stays empty');
    } finally {
      await finishHttp(s);
    }
  });

  test('--listen 127.0.0.1:<port> binds that port', async () => {
    const port = await freePort();
    const s = await startHttp({ listen: `127.0.0.1:${port}` });
    try {
      assert.equal(s.readyLine, `listening on http://127.0.0.1:${port}/mcp`);
      assert.equal(s.port, port);
    } finally {
      await finishHttp(s);
    }
  });

  for (const bad of ['nonsense', '127.0.0.1', '127.0.0.1:99999', '127.0.0.1:x', ':8080']) {
    test(`--listen ${bad} → exit 2 with a usage message, nothing served`, async () => {
      const r = await runCommand(everythingBin(), ['--listen', bad], { timeoutMs: WAIT_MS });
      assert.equal(r.timedOut, false, 'exits by itself');
      assert.equal(r.code, 2, `exit status (stderr: ${r.stderr})`);
      assert.match(r.stderr, /--listen/);
      assert.doesNotMatch(r.stderr, /listening on/);
    });
  }

  test('--stateless without --listen → exit 2', async () => {
    const r = await runCommand(everythingBin(), ['--stateless'], { timeoutMs: WAIT_MS });
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /--stateless/);
  });

  test('a port already in use → a non-zero exit and a reason on stderr, no ready line', async () => {
    const s = await startHttp();
    try {
      const r = await runCommand(everythingBin(), ['--listen', `127.0.0.1:${s.port}`], { timeoutMs: WAIT_MS });
      assert.equal(r.timedOut, false, 'exits by itself');
      assert.notEqual(r.code, 0, 'non-zero exit');
      assert.doesNotMatch(r.stderr, /listening on/);
      assert.ok(r.stderr.trim().length > 0, 'a reason on stderr');
    } finally {
      await finishHttp(s);
    }
  });

  test('SIGINT → exit 0', async () => {
    const s = await startHttp();
    await initSession(s);
    await finishHttp(s, 'SIGINT');
  });

  test('SIGTERM with an open GET stream and an in-flight SSE call → exit 0', async () => {
    const s = await startHttp();
    const { session } = await initSession(s);
    const g = await getStream(s, { session });
    assert.equal(g.status, 200);
    const p = await postOpen(s, req('tools/call', { name: 'slow_task', arguments: { steps: 3, interval_ms: 200 }, _meta: { progressToken: 'sd' } }), { session });
    assert.equal(p.status, 200);
    await p.sse.until((e) => e.json?.method === 'notifications/progress', WAIT_MS, 'the first progress');
    await finishHttp(s, 'SIGTERM');
    assert.ok(await g.sse.endsWithin(WAIT_MS), 'the GET stream is ended by the shutdown');
    assert.ok(await p.sse.endsWithin(WAIT_MS), 'the POST stream is ended by the shutdown');
  });

  test('a resumed standalone GET stream (the SDK reconnecting) carries later notifications; SIGTERM → exit 0', async () => {
    const s = await startHttp();
    try {
      const { session } = await initSession(s);
      const g1 = await getStream(s, { session, version: LATEST });
      const prime = await g1.sse.next();
      assert.ok(prime && isPriming(prime), `priming event on the GET stream: ${JSON.stringify(prime)}`);
      g1.destroy(); // the connection drops
      await sleep(100);
      const g2 = await getStream(s, { session, version: LATEST, lastEventId: prime.id });
      assert.equal(g2.status, 200);
      await post(s, req('tools/call', { name: 'toggle_extra_tool', arguments: {} }), { session, version: LATEST });
      await g2.sse.until((e) => e.json?.method === 'notifications/tools/list_changed', WAIT_MS, 'list_changed on the resumed stream');
      g2.destroy();
      await sleep(100);
    } finally {
      await finishHttp(s);
    }
  });

  test('`bulwark serve --listen` serves the built-in tool set over Streamable HTTP', async () => {
    const s = await startHttp({ bin: bulwarkBin(), argv: ['serve', '--listen', '127.0.0.1:0'] });
    let c;
    try {
      assert.deepEqual(s.linesBeforeReady, [], 'the ready line is the first stderr line');
      c = await connectStreamable(s.url);
      const names = (await c.client.listTools({}, REQ_OPTS)).tools.map((t) => t.name).sort();
      for (const n of ['add', 'echo', 'now', 'slow_count']) assert.ok(names.includes(n), `tool ${n} in ${names}`);
      const r = await c.client.callTool({ name: 'echo', arguments: { text: 'over http' } }, undefined, REQ_OPTS);
      assert.equal(textOf(r), 'over http');
      c.assertNoErrors();
    } finally {
      await c?.close();
      await finishHttp(s);
    }
  });
});

// ------------------------------------------------------------------------------------------------------------
describe('stateful: SDK client over Streamable HTTP', () => {
  let server;
  let s;
  const seen = { sampling: [], elicit: [], roots: 0 };
  let elicitAnswer = () => ({ action: 'accept', content: { username: 'testuser', email: 'test@example.com' } });
  const logs = collector('notifications/message');

  before(async () => {
    server = await startHttp();
    s = await connectStreamable(server.url, {
      capabilities: { sampling: {}, elicitation: {}, roots: { listChanged: true } },
      setup(client) {
        client.setRequestHandler(CreateMessageRequestSchema, (r) => {
          seen.sampling.push(r.params);
          return SAMPLING_REPLY;
        });
        client.setRequestHandler(ElicitRequestSchema, (r) => {
          seen.elicit.push(r.params);
          return elicitAnswer(r.params);
        });
        client.setRequestHandler(ListRootsRequestSchema, () => {
          seen.roots += 1;
          return { roots: ROOTS };
        });
        client.setNotificationHandler(LoggingMessageNotificationSchema, logs.handler);
      },
    });
  });
  after(async () => {
    await s?.close();
    await finishHttp(server);
  });

  const callTool = (name, args, o = {}) => s.client.callTool({ name, arguments: args }, undefined, { ...REQ_OPTS, ...o });

  test('initialize: 2025-11-25, serverInfo, a session id of ≥128 bits in visible ASCII', async () => {
    assert.equal(s.transport.protocolVersion, LATEST);
    assert.equal(s.client.getServerVersion().name, 'bulwark-everything');
    assertSessionId(s.sessionId);
    const caps = s.client.getServerCapabilities();
    assert.equal(caps.resources?.subscribe, true);
    assert.deepEqual(caps.logging, {});
  });

  test('the SDK opened the standalone GET stream (200 text/event-stream)', async () => {
    const g = await s.waitExchange((x) => x.method === 'GET', WAIT_MS, 'the standalone GET');
    assert.equal(g.status, 200);
    assert.equal(essence(g.contentType), 'text/event-stream');
  });

  test('ping → {}', async () => {
    assert.deepEqual(await s.client.ping(REQ_OPTS), {});
  });

  test('tools/list: every fixture tool, each with a description and inputSchema; 2020-12 schema verbatim', async () => {
    const { tools } = await s.client.listTools({}, REQ_OPTS);
    assert.deepEqual(tools.map((t) => t.name), FIXTURE_TOOLS, 'every fixture tool, in registration order');
    for (const t of tools) {
      assert.ok(typeof t.description === 'string' && t.description.length > 0, `${t.name} description`);
      assert.equal(t.inputSchema?.type, 'object', `${t.name} inputSchema`);
    }
    const js = tools.find((t) => t.name === 'json_schema_2020_12_tool');
    assert.equal(js.inputSchema.$schema, 'https://json-schema.org/draft/2020-12/schema');
    assert.equal(js.inputSchema.additionalProperties, false);
    assert.ok(js.inputSchema.$defs?.address);
  });

  test('tools/call: echo, add (structuredContent), content types, isError, unknown tool, bad arguments', async () => {
    assert.equal(textOf(await callTool('echo', { text: 'hé 🌍' })), 'hé 🌍');
    const add = await callTool('add', { a: 2, b: 40.5 });
    assert.deepEqual(add.structuredContent, { sum: 42.5 });
    assert.equal(textOf(await callTool('test_simple_text', {})), 'This is a simple text response for testing.');
    const img = await callTool('test_image_content', {});
    assert.equal(img.content[0].type, 'image');
    assert.equal(img.content[0].mimeType, 'image/png');
    assert.ok(isPngB64(img.content[0].data), 'base64 of a PNG');
    const aud = await callTool('test_audio_content', {});
    assert.equal(aud.content[0].mimeType, 'audio/wav');
    const emb = await callTool('test_embedded_resource', {});
    assert.deepEqual(emb.content[0].resource, { uri: 'test://embedded-resource', mimeType: 'text/plain', text: 'This is an embedded resource content.' });
    const mixed = await callTool('test_multiple_content_types', {});
    assert.deepEqual(mixed.content.map((c) => c.type), ['text', 'image', 'resource']);
    const err = await callTool('test_error_handling', {});
    assert.equal(err.isError, true);
    assert.equal(textOf(err), 'This tool intentionally returns an error for testing');
    await expectMcpError(callTool('no_such_tool', {}), -32602);
    const bad = await callTool('add', { a: 1, b: 'x' });
    assert.equal(bad.isError, true);
    assert.match(textOf(bad), /\$\.b/);
    await expectMcpError(callTool('bad_structured', {}), -32603, /\$\.value/);
  });

  test('resources: list, templates/list, read text/binary/template, unknown → -32002, subscribe/unsubscribe → {}', async () => {
    const { resources } = await s.client.listResources({}, REQ_OPTS);
    const uris = resources.map((r) => r.uri);
    for (const u of ['test://static-text', 'test://static-binary', 'test://watched-resource']) assert.ok(uris.includes(u), u);
    const { resourceTemplates } = await s.client.listResourceTemplates({}, REQ_OPTS);
    assert.ok(resourceTemplates.some((t) => t.uriTemplate === 'test://template/{id}/data'));
    const txt = await s.client.readResource({ uri: 'test://static-text' }, REQ_OPTS);
    assert.equal(txt.contents[0].mimeType, 'text/plain');
    assert.equal(typeof txt.contents[0].text, 'string');
    const bin = await s.client.readResource({ uri: 'test://static-binary' }, REQ_OPTS);
    assert.equal(bin.contents[0].mimeType, 'image/png');
    assert.ok(isPngB64(bin.contents[0].blob), 'blob is a base64 PNG');
    const tpl = await s.client.readResource({ uri: 'test://template/123/data' }, REQ_OPTS);
    assert.deepEqual(JSON.parse(tpl.contents[0].text), { id: '123', templateTest: true, data: 'Data for ID: 123' });
    const e = await expectMcpError(s.client.readResource({ uri: 'test://nope' }, REQ_OPTS), -32002);
    assert.equal(e.data?.uri, 'test://nope');
    assert.deepEqual(await s.client.subscribeResource({ uri: 'test://watched-resource' }, REQ_OPTS), {});
    assert.deepEqual(await s.client.unsubscribeResource({ uri: 'test://watched-resource' }, REQ_OPTS), {});
  });

  test('prompts: list all five, get the four 2025 ones', async () => {
    const { prompts } = await s.client.listPrompts({}, REQ_OPTS);
    const names = prompts.map((p) => p.name);
    assert.deepEqual(names, ['test_simple_prompt', 'test_prompt_with_arguments', 'test_prompt_with_embedded_resource',
      'test_prompt_with_image', 'test_input_required_result_prompt']);
    const simple = await s.client.getPrompt({ name: 'test_simple_prompt' }, REQ_OPTS);
    assert.ok(simple.messages.length > 0);
    const args = await s.client.getPrompt({ name: 'test_prompt_with_arguments', arguments: { arg1: 'testValue1', arg2: 'testValue2' } }, REQ_OPTS);
    const argsText = JSON.stringify(args.messages);
    assert.ok(argsText.includes('testValue1') && argsText.includes('testValue2'));
    const embedded = await s.client.getPrompt({ name: 'test_prompt_with_embedded_resource', arguments: { resourceUri: 'test://example-resource' } }, REQ_OPTS);
    assert.ok(embedded.messages.some((m) => m.content.type === 'resource' && m.content.resource.uri === 'test://example-resource'));
    const image = await s.client.getPrompt({ name: 'test_prompt_with_image' }, REQ_OPTS);
    assert.ok(image.messages.some((m) => m.content.type === 'image' && m.content.mimeType === 'image/png'));
    await expectMcpError(s.client.getPrompt({ name: 'test_prompt_with_arguments', arguments: { arg1: 'x' } }, REQ_OPTS), -32602);
  });

  test('completion/complete: prompt argument and template variable', async () => {
    const a = await s.client.complete({ ref: { type: 'ref/prompt', name: 'test_prompt_with_arguments' }, argument: { name: 'arg1', value: 'test' } }, REQ_OPTS);
    assert.deepEqual(a.completion.values, ['test', 'testing', 'tested']);
    const b = await s.client.complete({ ref: { type: 'ref/resource', uri: 'test://template/{id}/data' }, argument: { name: 'id', value: '1' } }, REQ_OPTS);
    assert.deepEqual(b.completion.values, ['1', '123']);
  });

  test('logging/setLevel → {}; log_all_levels delivers exactly the levels at or above it, in order, before the result', async () => {
    assert.deepEqual(await s.client.setLoggingLevel('debug', REQ_OPTS), {});
    let from = logs.items.length;
    assert.equal(textOf(await callTool('log_all_levels', {})), 'logged');
    // Notifications on the POST stream precede the response, so they are all in by now.
    let got = logs.items.slice(from).map((n) => n.params);
    assert.deepEqual(got.map((p) => p.level), LEVELS);
    assert.deepEqual(got.map((p) => p.data), LEVELS.map((l) => `level ${l}`));
    assert.ok(got.every((p) => p.logger === 'everything'));

    assert.deepEqual(await s.client.setLoggingLevel('warning', REQ_OPTS), {});
    from = logs.items.length;
    await callTool('log_all_levels', {});
    got = logs.items.slice(from).map((n) => n.params.level);
    assert.deepEqual(got, LEVELS.slice(3));
    await s.client.setLoggingLevel('debug', REQ_OPTS);
  });

  test('progress: slow_task reports i/steps before its result; test_tool_with_progress 0/50/100', async () => {
    const prog = [];
    const r = await callTool('slow_task', { steps: 4, interval_ms: 20 }, { onprogress: (p) => prog.push(p) });
    assert.equal(textOf(r), 'completed 4 steps');
    assert.deepEqual(prog.map((p) => [p.progress, p.total]), [[1, 4], [2, 4], [3, 4], [4, 4]]);
    const prog2 = [];
    await callTool('test_tool_with_progress', {}, { onprogress: (p) => prog2.push(p) });
    assert.deepEqual(prog2.map((p) => p.progress), [0, 50, 100]);
    assert.ok(prog2.every((p) => p.total === 100));
  });

  test('test_tool_with_logging: three info messages before the result', async () => {
    const from = logs.items.length;
    await callTool('test_tool_with_logging', {});
    assert.deepEqual(logs.items.slice(from).map((n) => n.params.data),
      ['Tool execution started', 'Tool processing data', 'Tool execution completed']);
  });

  test('sampling round trip: test_sampling → "LLM response: <client text>"', async () => {
    const r = await callTool('test_sampling', { prompt: 'Test prompt for sampling' });
    assert.notEqual(r.isError, true, textOf(r));
    assert.equal(textOf(r), 'LLM response: This is a test response from the client');
    assert.deepEqual(seen.sampling.at(-1).messages[0].content, { type: 'text', text: 'Test prompt for sampling' });
  });

  test('elicitation round trips: accept, decline, SEP-1034 defaults, SEP-1330 enums', async () => {
    let r = await callTool('test_elicitation', { message: 'Please provide your information' });
    assert.ok(textOf(r).startsWith('User response: action=accept'), textOf(r));
    assert.equal(seen.elicit.at(-1).message, 'Please provide your information');
    elicitAnswer = () => ({ action: 'decline' });
    try {
      r = await callTool('test_elicitation', { message: 'again' });
      assert.ok(textOf(r).startsWith('User response: action=decline'), textOf(r));
    } finally {
      elicitAnswer = () => ({ action: 'accept', content: {} });
    }
    r = await callTool('test_elicitation_sep1034_defaults', {});
    assert.ok(textOf(r).startsWith('Elicitation completed: action=accept'), textOf(r));
    const props = seen.elicit.at(-1).requestedSchema.properties;
    assert.equal(props.age.default, 30);
    assert.equal(props.score.default, 95.5);
    assert.equal(props.verified.default, true);
    r = await callTool('test_elicitation_sep1330_enums', {});
    assert.ok(textOf(r).startsWith('Elicitation completed: action=accept'), textOf(r));
  });

  test('roots: list_roots returns what the client answered', async () => {
    const r = await callTool('list_roots', {});
    assert.notEqual(r.isError, true, textOf(r));
    assert.deepEqual(JSON.parse(textOf(r)).roots, ROOTS);
    assert.ok(seen.roots >= 1);
  });

  test('notifications/tools/list_changed and resources/updated reach the client', async () => {
    await s.waitExchange((x) => x.method === 'GET' && x.status === 200, WAIT_MS, 'the standalone GET');
    const changed = collector('tools/list_changed');
    s.client.setNotificationHandler(ToolListChangedNotificationSchema, changed.handler);
    assert.equal(textOf(await callTool('toggle_extra_tool', {})), 'added');
    await changed.waitCount(1);
    assert.ok((await s.client.listTools({}, REQ_OPTS)).tools.some((t) => t.name === 'extra_tool'));
    assert.equal(textOf(await callTool('toggle_extra_tool', {})), 'removed');
    await changed.waitCount(2);

    const updated = collector('resources/updated');
    s.client.setNotificationHandler(ResourceUpdatedNotificationSchema, updated.handler);
    await s.client.subscribeResource({ uri: 'test://watched-resource' }, REQ_OPTS);
    assert.equal(textOf(await callTool('trigger_resource_update', { uri: 'test://watched-resource' })), 'updated test://watched-resource');
    await updated.waitCount(1);
    assert.equal(updated.items[0].params.uri, 'test://watched-resource');
    await s.client.unsubscribeResource({ uri: 'test://watched-resource' }, REQ_OPTS);
  });

  test('test_reconnection: the server closes the POST stream early; the SDK resumes and gets the result', async () => {
    const r = await callTool('test_reconnection', {});
    assert.equal(textOf(r), 'Reconnection test completed successfully');
    assert.ok(s.exchanges.filter((x) => x.method === 'GET').length >= 2, 'a resumption GET was made');
  });

  test('40 concurrent calls in one session (20 slow_task with progress + 20 echo)', async () => {
    const slow = Array.from({ length: 20 }, (_, i) => {
      const prog = [];
      return callTool('slow_task', { steps: 3, interval_ms: 30 }, { onprogress: (p) => prog.push(p.progress) })
        .then((r) => ({ r, prog, i }));
    });
    const echo = Array.from({ length: 20 }, (_, i) => callTool('echo', { text: `c${i}` }).then((r) => textOf(r)));
    const [sr, er] = await Promise.all([Promise.all(slow), Promise.all(echo)]);
    for (const { r, prog } of sr) {
      assert.equal(textOf(r), 'completed 3 steps');
      assert.deepEqual(prog, [1, 2, 3], 'each call got exactly its own progress');
    }
    assert.deepEqual(er, Array.from({ length: 20 }, (_, i) => `c${i}`));
  });

  test('cancelling a call (notifications/cancelled on a separate POST) rejects it; the session keeps working', async () => {
    const ac = new AbortController();
    const p = callTool('slow_task', { steps: 100, interval_ms: 100 }, { signal: ac.signal });
    await sleep(150);
    ac.abort('test');
    await assert.rejects(p);
    assert.equal(textOf(await callTool('echo', { text: 'after cancel' })), 'after cancel');
  });

  test('no transport errors were reported by the SDK', () => {
    s.assertNoErrors();
  });

  test('DELETE (terminateSession) → 200; the id is then 404', async () => {
    const id = s.sessionId;
    await s.transport.terminateSession();
    const r = await post(server, req('ping'), { session: id, version: LATEST });
    assert.equal(r.status, 404);
  });
});

// ------------------------------------------------------------------------------------------------------------
describe('stateless (--stateless): SDK client and raw POSTs', () => {
  let server;
  let s;
  before(async () => {
    server = await startHttp({ args: ['--stateless'] });
    s = await connectStreamable(server.url, {
      capabilities: { sampling: {}, elicitation: {} },
      setup(client) {
        client.setRequestHandler(CreateMessageRequestSchema, () => SAMPLING_REPLY);
        client.setRequestHandler(ElicitRequestSchema, () => ({ action: 'accept', content: {} }));
      },
    });
  });
  after(async () => {
    await s?.close();
    await finishHttp(server);
  });
  const callTool = (name, args, o = {}) => s.client.callTool({ name, arguments: args }, undefined, { ...REQ_OPTS, ...o });

  test('initialize answers without an Mcp-Session-Id; the SDK proceeds without one', async () => {
    assert.equal(s.sessionId, undefined);
    const r = await post(server, req('initialize', { protocolVersion: LATEST, capabilities: {}, clientInfo: { name: 'x', version: '1' } }));
    assert.equal(r.status, 200);
    assert.equal(r.headers['mcp-session-id'], undefined, 'no session header');
    assert.equal(r.messages[0].result.protocolVersion, LATEST);
  });

  test('the standalone GET is 405 (the SDK tolerates it)', async () => {
    const g = await s.waitExchange((x) => x.method === 'GET', WAIT_MS, 'the GET attempt');
    assert.equal(g.status, 405);
  });

  test('every method works without a session', async () => {
    assert.deepEqual(await s.client.ping(REQ_OPTS), {});
    assert.ok((await s.client.listTools({}, REQ_OPTS)).tools.some((t) => t.name === 'echo'));
    assert.equal(textOf(await callTool('echo', { text: 'stateless' })), 'stateless');
    assert.deepEqual((await callTool('add', { a: 1, b: 2 })).structuredContent, { sum: 3 });
    assert.equal((await s.client.readResource({ uri: 'test://template/7/data' }, REQ_OPTS)).contents[0].uri, 'test://template/7/data');
    assert.ok((await s.client.listResources({}, REQ_OPTS)).resources.length >= 3);
    assert.ok((await s.client.getPrompt({ name: 'test_simple_prompt' }, REQ_OPTS)).messages.length > 0);
    const c = await s.client.complete({ ref: { type: 'ref/prompt', name: 'test_prompt_with_arguments' }, argument: { name: 'arg2', value: 'val' } }, REQ_OPTS);
    assert.deepEqual(c.completion.values, ['value1', 'value2']);
    assert.deepEqual(await s.client.setLoggingLevel('info', REQ_OPTS), {});
  });

  test('progress arrives on the POST stream', async () => {
    const prog = [];
    const r = await callTool('test_tool_with_progress', {}, { onprogress: (p) => prog.push(p.progress) });
    assert.ok(textOf(r));
    assert.deepEqual(prog, [0, 50, 100]);
  });

  test('sampling and elicitation tools answer isError: capability missing', async () => {
    for (const [name, args] of [['test_sampling', { prompt: 'p' }], ['test_elicitation', { message: 'm' }]]) {
      const r = await callTool(name, args);
      assert.equal(r.isError, true, `${name}: ${JSON.stringify(r)}`);
      assert.match(textOf(r), /capabilit/i, `${name}: ${textOf(r)}`);
    }
  });

  test('a raw tools/call with no prior initialize works, with and without MCP-Protocol-Version', async () => {
    for (const version of [undefined, '2025-06-18', '2025-03-26', LATEST]) {
      const m = req('tools/call', { name: 'echo', arguments: { text: `v${version}` } });
      const r = await post(server, m, { version });
      assert.equal(r.status, 200, r.text);
      assert.equal(r.headers['mcp-session-id'], undefined);
      assert.equal(textOf(responseTo(r, m.id)?.result), `v${version}`);
    }
  });

  test('no transport errors were reported by the SDK', () => {
    s.assertNoErrors();
  });
});

// ------------------------------------------------------------------------------------------------------------
describe('raw Streamable HTTP: response shapes, SSE framing, resumption', () => {
  let server;
  before(async () => {
    server = await startHttp();
  });
  after(async () => {
    await finishHttp(server);
  });

  test('a request whose handler sends nothing first → 200 application/json with the single response', async () => {
    const { session } = await initSession(server);
    for (const m of [req('ping'), req('tools/call', { name: 'echo', arguments: { text: 'j' } }), req('tools/list')]) {
      const r = await post(server, m, { session, version: LATEST });
      assert.equal(r.status, 200);
      assert.equal(essence(r.contentType), 'application/json', `${m.method}: ${r.contentType}`);
      assert.ok(!Array.isArray(r.json) && r.json.id === m.id && 'result' in r.json, r.text.slice(0, 200));
    }
  });

  test('progress first → text/event-stream: priming event first, progress in order, the response last, then the stream ends', async () => {
    const { session } = await initSession(server);
    const m = req('tools/call', { name: 'slow_task', arguments: { steps: 3, interval_ms: 30 }, _meta: { progressToken: 'p-1' } });
    const r = await post(server, m, { session, version: LATEST });
    assert.equal(r.status, 200);
    assert.equal(essence(r.contentType), 'text/event-stream');
    assert.equal(r.headers['content-length'], undefined, 'no Content-Length on an event stream');
    const ev = r.events;
    assert.ok(isPriming(ev[0]), `priming event first: ${JSON.stringify(ev[0])}`);
    const msgs = ev.filter((e) => e.hasData && e.data.trim() !== '');
    assert.deepEqual(msgs.map((e) => e.json?.method ?? 'response'),
      ['notifications/progress', 'notifications/progress', 'notifications/progress', 'response']);
    assert.deepEqual(msgs.slice(0, 3).map((e) => [e.json.params.progressToken, e.json.params.progress, e.json.params.total]),
      [['p-1', 1, 3], ['p-1', 2, 3], ['p-1', 3, 3]]);
    assert.equal(msgs[3].json.id, m.id);
    assert.equal(textOf(msgs[3].json.result), 'completed 3 steps');
    for (const e of msgs) {
      assert.ok(!e.data.includes('\n'), 'one data line per JSON message');
      assert.ok(e.event === undefined || e.event === 'message', `event type ${e.event}`);
      assert.ok(e.id, `every message event carries an id: ${JSON.stringify(e)}`);
    }
    assert.equal(new Set(ev.filter((e) => e.id).map((e) => e.id)).size, ev.filter((e) => e.id).length, 'event ids are unique');
  });

  test('a numeric progressToken keeps its JSON type', async () => {
    const { session } = await initSession(server);
    const r = await post(server, req('tools/call', { name: 'test_tool_with_progress', arguments: {}, _meta: { progressToken: 77 } }), { session, version: LATEST });
    const prog = r.messages.filter((x) => x.method === 'notifications/progress');
    assert.deepEqual(prog.map((x) => x.params.progressToken), [77, 77, 77]);
  });

  test('test_reconnection: priming first, a retry field, the stream ends before the result; GET + Last-Event-ID replays it', async () => {
    const { session } = await initSession(server);
    const g = await getStream(server, { session, version: LATEST }); // the standalone stream stays open meanwhile
    assert.equal(g.status, 200);
    const p = await postOpen(server, { jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'test_reconnection', arguments: {} } },
      { session, version: '2025-03-26', accept: 'text/event-stream, application/json' });
    assert.equal(p.status, 200);
    assert.equal(essence(p.contentType), 'text/event-stream');
    const evs = await p.sse.rest(WAIT_MS);
    assert.ok(evs.length >= 1 && isPriming(evs[0]), `priming first: ${JSON.stringify(evs)}`);
    const retry = evs.find((e) => e.retry !== undefined);
    assert.ok(retry && /^\d+$/.test(retry.retry), `a retry field: ${JSON.stringify(evs)}`);
    assert.ok(!p.sse.messages().some((x) => x.id === 1), 'no result on the closed POST stream');
    const lastId = evs.filter((e) => e.id).at(-1).id;
    const t0 = Date.now();
    const r = await getStream(server, { session, version: '2025-03-26', lastEventId: lastId });
    assert.equal(r.status, 200);
    assert.equal(essence(r.contentType), 'text/event-stream');
    const got = await r.sse.until((e) => e.json?.id === 1, 5000, 'the replayed result');
    const res = got.at(-1).json;
    assert.equal(res.id, 1);
    assert.equal(textOf(res.result), 'Reconnection test completed successfully');
    assert.ok(Date.now() - t0 < 5000);
    assert.ok(got.every((e) => !e.json || e.json.id === 1), `only that stream's events: ${JSON.stringify(got)}`);
    r.destroy();
    g.destroy();
  });

  test('a dropped POST stream: the work continues; GET + Last-Event-ID gets exactly the missed events of that stream', async () => {
    const { session } = await initSession(server);
    const g = await getStream(server, { session, version: LATEST });
    assert.equal(g.status, 200);
    const m = req('tools/call', { name: 'slow_task', arguments: { steps: 6, interval_ms: 150 }, _meta: { progressToken: 'drop' } });
    const p = await postOpen(server, m, { session, version: LATEST });
    assert.equal(essence(p.contentType), 'text/event-stream');
    const first = await p.sse.until((e) => e.json?.method === 'notifications/progress', WAIT_MS, 'progress 1');
    const lastId = first.filter((e) => e.id).at(-1).id;
    assert.ok(lastId, 'the progress event has an id');
    assert.equal(first.at(-1).json.params.progress, 1);
    p.destroy(); // the client goes away mid-stream

    // Meanwhile: another stream in the same session, and a session-wide notification on the GET stream.
    const other = await post(server, req('tools/call', { name: 'slow_task', arguments: { steps: 1, interval_ms: 0 }, _meta: { progressToken: 'other' } }),
      { session, version: LATEST });
    assert.equal(other.status, 200);
    assert.equal(textOf((await post(server, req('tools/call', { name: 'toggle_extra_tool', arguments: {} }), { session, version: LATEST })).messages.at(-1).result), 'added');
    await g.sse.until((e) => e.json?.method === 'notifications/tools/list_changed', WAIT_MS, 'list_changed on the GET stream');

    await sleep(300);
    const r = await getStream(server, { session, version: LATEST, lastEventId: lastId });
    assert.equal(r.status, 200);
    const got = await r.sse.until((e) => e.json?.id === m.id, WAIT_MS, 'the result of the dropped call');
    const msgs = got.filter((e) => e.json).map((e) => e.json);
    assert.equal(textOf(msgs.at(-1).result), 'completed 6 steps', 'the disconnect did not cancel the call');
    const prog = msgs.filter((x) => x.method === 'notifications/progress');
    assert.deepEqual(prog.map((x) => [x.params.progressToken, x.params.progress]),
      [['drop', 2], ['drop', 3], ['drop', 4], ['drop', 5], ['drop', 6]], 'exactly the missed progress, once each');
    assert.deepEqual(msgs.filter((x) => x.method !== 'notifications/progress' && x.id !== m.id), [], 'nothing from other streams');
    r.destroy();
    g.destroy();
    await post(server, req('tools/call', { name: 'toggle_extra_tool', arguments: {} }), { session, version: LATEST });
  });

  test('isolation: another session resuming with this session\'s event ids gets none of its events', async () => {
    const a = (await initSession(server)).session;
    const b = (await initSession(server)).session;
    const r = await post(server, req('tools/call', { name: 'slow_task', arguments: { steps: 2, interval_ms: 10 }, _meta: { progressToken: 'secret-of-a' } }),
      { session: a, version: LATEST });
    const ids = r.events.filter((e) => e.id).map((e) => e.id);
    assert.ok(ids.length >= 3);
    for (const id of ids) {
      const g = await getStream(server, { session: b, version: LATEST, lastEventId: id });
      await sleep(150);
      g.destroy();
      assert.ok(!g.sse || !g.sse.raw.includes('secret-of-a'), `session b resumed with ${id} and saw a's events:\n${g.sse?.raw}`);
      assert.ok(!g.sse || !g.sse.messages().some((x) => 'result' in x), 'no foreign result');
    }
  });

  test('isolation: an answer to a sampling request POSTed in another session does not complete the call', async () => {
    const a = (await initSession(server)).session;
    const b = (await initSession(server, LATEST, { capabilities: { sampling: {} } })).session;
    const m = req('tools/call', { name: 'test_sampling', arguments: { prompt: 'isolation' } });
    const p = await postOpen(server, m, { session: b, version: LATEST });
    const sreq = (await p.sse.until((e) => e.json?.method === 'sampling/createMessage', WAIT_MS, 'sampling/createMessage')).at(-1).json;
    const reply = (text) => ({ jsonrpc: '2.0', id: sreq.id, result: { role: 'assistant', content: { type: 'text', text }, model: 'm', stopReason: 'endTurn' } });
    await post(server, reply('from the wrong session'), { session: a, version: LATEST });
    await sleep(300);
    assert.ok(!p.sse.messages().some((x) => x.id === m.id), 'the call is still waiting');
    assert.equal((await post(server, reply('from b'), { session: b, version: LATEST })).status, 202);
    const res = (await p.sse.rest(WAIT_MS)).map((e) => e.json).find((x) => x && x.id === m.id);
    assert.equal(textOf(res?.result), 'LLM response: from b');
  });

  test('event ids of concurrent streams in one session never collide', async () => {
    const { session } = await initSession(server);
    const streams = await Promise.all(Array.from({ length: 5 }, (_, i) => post(server,
      req('tools/call', { name: 'slow_task', arguments: { steps: 4, interval_ms: 20 }, _meta: { progressToken: `s${i}` } }),
      { session, version: LATEST })));
    const ids = [];
    streams.forEach((r, i) => {
      assert.equal(essence(r.contentType), 'text/event-stream');
      const prog = r.messages.filter((x) => x.method === 'notifications/progress');
      assert.deepEqual(prog.map((x) => x.params.progressToken), [`s${i}`, `s${i}`, `s${i}`, `s${i}`], 'each stream carries only its own progress');
      assert.equal(textOf(r.messages.at(-1).result), 'completed 4 steps');
      ids.push(...r.events.filter((e) => e.id).map((e) => e.id));
    });
    assert.equal(new Set(ids).size, ids.length, 'ids unique across the streams of a session');
  });

  test('session-wide notifications go on the standalone GET stream, not on the POST response', async () => {
    const { session } = await initSession(server);
    const g = await getStream(server, { session, version: LATEST });
    assert.equal(g.status, 200);
    assert.equal(essence(g.contentType), 'text/event-stream');
    const t = await post(server, req('tools/call', { name: 'toggle_extra_tool', arguments: {} }), { session, version: LATEST });
    assert.ok(!t.messages.some((x) => x.method === 'notifications/tools/list_changed'), `not on the POST: ${t.text}`);
    await g.sse.until((e) => e.json?.method === 'notifications/tools/list_changed', WAIT_MS, 'list_changed');
    await post(server, req('tools/call', { name: 'toggle_extra_tool', arguments: {} }), { session, version: LATEST });
    await g.sse.until((e) => e.json?.method === 'notifications/tools/list_changed', WAIT_MS, 'the second list_changed');

    assert.deepEqual(await call(server, session, 'resources/subscribe', { uri: 'test://watched-resource' }, { version: LATEST }), {});
    const u = await post(server, req('tools/call', { name: 'trigger_resource_update', arguments: { uri: 'test://watched-resource' } }), { session, version: LATEST });
    assert.ok(!u.messages.some((x) => x.method === 'notifications/resources/updated'), `not on the POST: ${u.text}`);
    const ev = await g.sse.until((e) => e.json?.method === 'notifications/resources/updated', WAIT_MS, 'resources/updated');
    assert.equal(ev.at(-1).json.params.uri, 'test://watched-resource');
    g.destroy();
  });

  test('an idle standalone GET stream carries keep-alive comments (default interval 15 s)', { timeout: 60_000 }, async () => {
    const { session } = await initSession(server);
    const g = await getStream(server, { session, version: LATEST });
    assert.equal(g.status, 200);
    const t0 = Date.now();
    while (g.sse.comments.length === 0 && !g.sse.ended && Date.now() - t0 < 25_000) await sleep(200);
    assert.ok(g.sse.comments.length >= 1, `a ':' comment line within 25 s (ended=${g.sse.ended})${g.sse.diag()}`);
    assert.equal(g.sse.ended, false, 'the stream stays open');
    g.destroy();
  });

  test('sampling: the request arrives on the tools/call stream; the answer is a separate POST → 202; then the result', async () => {
    const { session } = await initSession(server, LATEST, { capabilities: { sampling: {} } });
    const m = req('tools/call', { name: 'test_sampling', arguments: { prompt: 'raw prompt' } });
    const p = await postOpen(server, m, { session, version: LATEST });
    assert.equal(p.status, 200);
    assert.equal(essence(p.contentType), 'text/event-stream');
    const got = await p.sse.until((e) => e.json?.method === 'sampling/createMessage', WAIT_MS, 'sampling/createMessage');
    const sreq = got.at(-1).json;
    assert.ok('id' in sreq, 'a request (has an id)');
    assert.deepEqual(sreq.params.messages[0].content, { type: 'text', text: 'raw prompt' });
    const a = await post(server, { jsonrpc: '2.0', id: sreq.id, result: SAMPLING_REPLY }, { session, version: LATEST });
    assert.equal(a.status, 202);
    assert.equal(a.body.length, 0, 'empty body');
    const rest = await p.sse.rest(WAIT_MS);
    const res = rest.map((e) => e.json).find((x) => x && x.id === m.id);
    assert.equal(textOf(res?.result), 'LLM response: This is a test response from the client');
  });

  test('elicitation answered by a separate POST while the call is open', async () => {
    const { session } = await initSession(server, LATEST, { capabilities: { elicitation: {} } });
    const m = req('tools/call', { name: 'test_elicitation', arguments: { message: 'who?' } });
    const p = await postOpen(server, m, { session, version: LATEST });
    const ereq = (await p.sse.until((e) => e.json?.method === 'elicitation/create', WAIT_MS, 'elicitation/create')).at(-1).json;
    const a = await post(server, { jsonrpc: '2.0', id: ereq.id, result: { action: 'decline' } }, { session, version: LATEST });
    assert.equal(a.status, 202);
    const rest = await p.sse.rest(WAIT_MS);
    const res = rest.map((e) => e.json).find((x) => x && x.id === m.id);
    assert.ok(textOf(res?.result).startsWith('User response: action=decline'), JSON.stringify(res));
  });

  test('roots/list during a call, answered by a separate POST', async () => {
    const { session } = await initSession(server, LATEST, { capabilities: { roots: {} } });
    const m = req('tools/call', { name: 'list_roots', arguments: {} });
    const p = await postOpen(server, m, { session, version: LATEST });
    const rreq = (await p.sse.until((e) => e.json?.method === 'roots/list', WAIT_MS, 'roots/list')).at(-1).json;
    assert.equal((await post(server, { jsonrpc: '2.0', id: rreq.id, result: { roots: ROOTS } }, { session, version: LATEST })).status, 202);
    const res = (await p.sse.rest(WAIT_MS)).map((e) => e.json).find((x) => x && x.id === m.id);
    assert.deepEqual(JSON.parse(textOf(res.result)).roots, ROOTS);
  });

  test('notifications/cancelled on a separate POST → 202; the cancelled call sends no result and its stream ends', async () => {
    const { session } = await initSession(server);
    const m = req('tools/call', { name: 'slow_task', arguments: { steps: 100, interval_ms: 100 }, _meta: { progressToken: 'c' } });
    const p = await postOpen(server, m, { session, version: LATEST });
    await p.sse.until((e) => e.json?.method === 'notifications/progress', WAIT_MS, 'progress');
    const c = await post(server, notification('notifications/cancelled', { requestId: m.id, reason: 'test' }), { session, version: LATEST });
    assert.equal(c.status, 202);
    assert.ok(await p.sse.endsWithin(WAIT_MS), 'the stream of the cancelled request ends');
    assert.ok(!p.sse.messages().some((x) => x.id === m.id), 'no response to a cancelled request');
  });

  test('2025-03-26 session: a batch is answered with an array (one POST)', async () => {
    const { session } = await initSession(server, '2025-03-26');
    const r = await post(server, [req('ping', undefined, 'b1'), req('tools/call', { name: 'echo', arguments: { text: 'in batch' } }, 'b2')],
      { session, version: '2025-03-26' });
    assert.equal(r.status, 200);
    const byId = new Map(r.messages.map((x) => [x.id, x]));
    assert.deepEqual(byId.get('b1')?.result, {});
    assert.equal(textOf(byId.get('b2')?.result), 'in batch');
    const n = await post(server, [notification('notifications/x'), notification('notifications/y')], { session, version: '2025-03-26' });
    assert.equal(n.status, 202, 'a batch of notifications only → 202');
  });
});

// ------------------------------------------------------------------------------------------------------------
describe('scale', () => {
  const N = 200;
  test(`${N} concurrent SDK sessions, each initialize + tools/call echo: all ${N} answered`, { timeout: 240_000 }, async () => {
    const server = await startHttp();
    const clients = [];
    try {
      const results = await Promise.all(Array.from({ length: N }, async (_, i) => {
        const c = await connectStreamable(server.url);
        clients.push(c);
        const r = await c.client.callTool({ name: 'echo', arguments: { text: `session-${i}` } }, undefined, { timeout: SANITIZE ? 120_000 : 60_000 });
        return { text: textOf(r), session: c.sessionId };
      }));
      assert.deepEqual(results.map((r) => r.text), Array.from({ length: N }, (_, i) => `session-${i}`));
      assert.equal(new Set(results.map((r) => r.session)).size, N, 'distinct session ids');
      for (const c of clients) c.assertNoErrors();
      await pool(clients, 32, (c) => c.terminate());
      assert.ok(server.running);
    } finally {
      await Promise.all(clients.map((c) => c.close().catch(() => {})));
      await finishHttp(server);
    }
  });
});
