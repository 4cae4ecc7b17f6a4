// Both eras on one server, at the same time, through the official clients: the v2 client
// (@modelcontextprotocol/client 2.4, pinned to 2026-07-28: server/discover, per-request _meta, MRTR auto-fulfilment,
// subscriptions/listen) and the v1 SDK (@modelcontextprotocol/sdk 1.32, initialize + session at 2025-11-25).
// Over Streamable HTTP (one endpoint), and over stdio (one process whose pipe both clients share, interleaved).
// Behind every SDK call the bytes on the wire are checked too: modern results carry resultType (and ttlMs /
// cacheScope where cacheable), legacy results carry neither.

import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Client as ModernClient, StreamableHTTPClientTransport as ModernHttp } from '@modelcontextprotocol/client';
import { Client as LegacyClient } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport as LegacyHttp } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { ElicitRequestSchema, ToolListChangedNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import { killAllSpawned, everythingBin, WAIT_MS, CLIENT_INFO } from '../lib/raw-stdio.mjs';
import { startHttp, finishHttp, sleep } from '../lib/http.mjs';
import { collector } from '../lib/sdk.mjs';
import {
  MODERN, META_SUBSCRIPTION, META_SERVER_INFO, TASKS_EXT, recordingFetch, postsFor, modernOpen, StdioMux,
} from '../lib/modern.mjs';

after(killAllSpawned);

const OPTS = { timeout: WAIT_MS };
const SERVER_INFO = {
  name: 'bulwark-everything', version: '0.1.0', title: 'Bulwark fixture server',
  description: 'Every MCP feature, for conformance and integration tests',
};
const INSTRUCTIONS = 'Fixture server: tools, resources and prompts named test_* are conformance fixtures.';
const CAPS = {
  logging: {}, completions: {}, tools: { listChanged: true }, resources: { subscribe: true, listChanged: true },
  prompts: { listChanged: true },
};
const NAME_SCHEMA = { type: 'object', properties: { name: { type: 'string' } }, required: ['name'] };
const STATIC_TEXT = { uri: 'test://static-text', mimeType: 'text/plain', text: 'This is the content of the static text resource.' };
const SIMPLE_PROMPT = [{ role: 'user', content: { type: 'text', text: 'This is a simple prompt for testing.' } }];
const PROGRESS = [{ progress: 0, total: 100 }, { progress: 50, total: 100 }, { progress: 100, total: 100 }];

/** Answers an elicitation the way a user would: a name for the name question, a context for the prompt's. */
function answer(who) {
  return (req) => {
    const props = req.params.requestedSchema?.properties ?? {};
    return { action: 'accept', content: 'context' in props ? { context: `ctx-${who}` } : { name: who } };
  };
}

/** The v2 client, pinned to 2026-07-28, declaring elicitation (answered by `answer('Modern')`). */
function modernClient() {
  const c = new ModernClient(CLIENT_INFO, { versionNegotiation: { mode: { pin: MODERN } }, capabilities: { elicitation: {} } });
  const errors = [];
  c.onerror = (e) => errors.push(e);
  c.setRequestHandler('elicitation/create', async (req) => answer('Modern')(req));
  const changed = collector('modern tools/list_changed');
  c.setNotificationHandler('notifications/tools/list_changed', changed.handler);
  return { c, errors, changed };
}

/** The v1 SDK client (legacy era), declaring elicitation (answered by `answer('Legacy')`). */
function legacyClient() {
  const c = new LegacyClient(CLIENT_INFO, { capabilities: { elicitation: {} } });
  const errors = [];
  c.onerror = (e) => errors.push(e);
  c.setRequestHandler(ElicitRequestSchema, async (req) => answer('Legacy')(req));
  const changed = collector('legacy tools/list_changed');
  c.setNotificationHandler(ToolListChangedNotificationSchema, changed.handler);
  return { c, errors, changed };
}

const names = (r) => r.tools.map((t) => t.name);
const textOf = (r) => r.content?.[0]?.text;

async function expectProtocolError(p, code) {
  let err;
  try {
    await p;
  } catch (e) {
    err = e;
  }
  assert.ok(err, `expected error ${code}, got a result`);
  assert.equal(err.code, code, `error code (${err.message})`);
  return err;
}

// Checks shared by both transports: `m` and `l` are the modern and legacy {c} wrappers.
const shared = {
  async toolsList(m, l) {
    const [mt, lt] = await Promise.all([m.c.listTools(undefined, { ...OPTS, cacheMode: 'refresh' }), l.c.listTools(undefined, OPTS)]);
    assert.equal(names(mt)[0], 'test_x_mcp_header', 'the header fixture is listed first');
    assert.deepEqual(names(mt), names(lt), 'the same tools in both eras, in the same order');
    assert.ok(names(mt).includes('greet') && names(mt).includes('json_schema_2020_12_tool'));
  },
  async echo(m, l) {
    const [a, b] = await Promise.all([
      m.c.callTool({ name: 'echo', arguments: { text: 'hé 🌍 modern' } }, OPTS),
      l.c.callTool({ name: 'echo', arguments: { text: 'hé 🌍 legacy' } }, undefined, OPTS),
    ]);
    assert.deepEqual(a.content, [{ type: 'text', text: 'hé 🌍 modern' }]);
    assert.deepEqual(b.content, [{ type: 'text', text: 'hé 🌍 legacy' }]);
  },
  async elicitation(m, l) {
    // The same tool: an input_required round trip for the modern client, a server→client request for the legacy one.
    const [a, b] = await Promise.all([
      m.c.callTool({ name: 'test_input_required_result_elicitation', arguments: {} }, OPTS),
      l.c.callTool({ name: 'test_input_required_result_elicitation', arguments: {} }, undefined, OPTS),
    ]);
    assert.deepEqual(a.content, [{ type: 'text', text: 'Hello, Modern!' }]);
    assert.deepEqual(b.content, [{ type: 'text', text: 'Hello, Legacy!' }]);
  },
  async progress(m) {
    const seen = [];
    const r = await m.c.callTool({ name: 'test_tool_with_progress', arguments: {} }, { ...OPTS, onprogress: (p) => seen.push(p) });
    assert.equal(textOf(r), 'Tool with progress executed successfully');
    assert.deepEqual(seen, PROGRESS);
  },
  async listen(m, l) {
    const sub = await m.c.listen({ toolsListChanged: true, promptsListChanged: true }, OPTS);
    assert.deepEqual(sub.honoredFilter, { toolsListChanged: true, promptsListChanged: true });
    const m0 = m.changed.items.length;
    const l0 = l.changed.items.length;
    // A legacy session's tool call changes the tool list: the modern listener and the legacy session both hear it.
    assert.equal(textOf(await l.c.callTool({ name: 'toggle_extra_tool', arguments: {} }, undefined, OPTS)), 'added');
    await Promise.all([m.changed.waitCount(m0 + 1), l.changed.waitCount(l0 + 1)]);
    assert.ok(names(await m.c.listTools(undefined, { ...OPTS, cacheMode: 'refresh' })).includes('extra_tool'));
    assert.equal(textOf(await l.c.callTool({ name: 'toggle_extra_tool', arguments: {} }, undefined, OPTS)), 'removed');
    await m.changed.waitCount(m0 + 2);
    assert.ok(!names(await m.c.listTools(undefined, { ...OPTS, cacheMode: 'refresh' })).includes('extra_tool'));
    await sub.close();
    assert.equal(await sub.closed, 'local');
    return sub;
  },
  async resources(m, l) {
    const [a, b] = await Promise.all([
      m.c.readResource({ uri: 'test://static-text' }, { ...OPTS, cacheMode: 'bypass' }),
      l.c.readResource({ uri: 'test://static-text' }, OPTS),
    ]);
    assert.deepEqual(a.contents, [STATIC_TEXT]);
    assert.deepEqual(b.contents, [STATIC_TEXT]);
    // Not found: -32602 with data.uri in 2026-07-28, -32002 before.
    const me = await expectProtocolError(m.c.readResource({ uri: 'test://nope' }, { ...OPTS, cacheMode: 'bypass' }), -32602);
    assert.deepEqual(me.data, { uri: 'test://nope' });
    const le = await expectProtocolError(l.c.readResource({ uri: 'test://nope' }, OPTS), -32002);
    assert.deepEqual(le.data, { uri: 'test://nope' });
  },
  async prompts(m, l) {
    const [a, b] = await Promise.all([
      m.c.getPrompt({ name: 'test_simple_prompt' }, OPTS), l.c.getPrompt({ name: 'test_simple_prompt' }, OPTS),
    ]);
    assert.deepEqual(a.messages, SIMPLE_PROMPT);
    assert.deepEqual(b.messages, SIMPLE_PROMPT);
    const [c, d] = await Promise.all([
      m.c.getPrompt({ name: 'test_input_required_result_prompt' }, OPTS),
      l.c.getPrompt({ name: 'test_input_required_result_prompt' }, OPTS),
    ]);
    assert.deepEqual(c.messages, [{ role: 'user', content: { type: 'text', text: 'Answer using this context: ctx-Modern' } }]);
    assert.deepEqual(d.messages, [{ role: 'user', content: { type: 'text', text: 'Answer using this context: ctx-Legacy' } }]);
  },
};

describe('Streamable HTTP: the v2 client (2026-07-28) and the v1 SDK (2025-11-25 session) on one endpoint', () => {
  let server;
  let m;
  let l;
  const mWire = recordingFetch();
  const lWire = recordingFetch();

  before(async () => {
    server = await startHttp();
    m = modernClient();
    l = legacyClient();
    await Promise.all([
      m.c.connect(new ModernHttp(new URL(server.url), { fetch: mWire.fetch }), OPTS),
      l.c.connect(new LegacyHttp(new URL(server.url), { fetch: lWire.fetch }), OPTS),
    ]);
  });

  after(async () => {
    await m?.c.close();
    await l?.c.close();
    assert.deepEqual([...(m?.errors ?? []), ...(l?.errors ?? [])].map(String), [], 'no client reported an error');
    await finishHttp(server);
  });

  test('discover: the v2 client negotiates 2026-07-28 statelessly; the v1 client has a session at 2025-11-25', () => {
    assert.equal(m.c.getProtocolEra(), 'modern');
    assert.equal(m.c.getNegotiatedProtocolVersion(), MODERN);
    const [d] = postsFor(mWire.log, 'server/discover');
    assert.equal(d.headers['mcp-method'], 'server/discover');
    assert.equal(d.headers['mcp-protocol-version'], MODERN);
    assert.equal(d.status, 200);
    const { capabilities, ...rest } = d.response.result;
    assert.deepEqual(rest, {
      supportedVersions: [MODERN], _meta: { [META_SERVER_INFO]: SERVER_INFO }, instructions: INSTRUCTIONS,
      ttlMs: 0, cacheScope: 'private', resultType: 'complete',
    });
    const { extensions, ...core } = capabilities;
    assert.deepEqual(core, CAPS);
    assert.deepEqual(extensions[TASKS_EXT], {}, 'the tasks extension is advertised');
    assert.ok(mWire.log.every((e) => !('mcp-session-id' in e.headers)), 'no modern request carries a session id');

    assert.equal(l.c.getServerVersion().name, 'bulwark-everything');
    assert.deepEqual(l.c.getServerCapabilities(), CAPS, 'no extensions in a legacy initialize result');
    assert.ok(typeof l.c.transport.sessionId === 'string' && l.c.transport.sessionId.length > 0, 'a legacy session id');
  });

  test('tools/list: the same tools in both eras; resultType/ttlMs/cacheScope only on the modern wire', async () => {
    await shared.toolsList(m, l);
    const modern = postsFor(mWire.log, 'tools/list').at(-1).response.result;
    assert.equal(modern.resultType, 'complete');
    assert.equal(modern.ttlMs, 0);
    assert.equal(modern.cacheScope, 'private');
    const legacy = postsFor(lWire.log, 'tools/list').at(-1).response.result;
    assert.deepEqual(Object.keys(legacy), ['tools'], 'a legacy tools/list result has only tools');
    assert.deepEqual(modern.tools, legacy.tools, 'byte-identical tool definitions');
  });

  test('tools/call echo, both eras at once: exact results on the wire', async () => {
    await shared.echo(m, l);
    assert.deepEqual(postsFor(mWire.log, 'tools/call', 'echo').at(-1).response.result,
      { content: [{ type: 'text', text: 'hé 🌍 modern' }], resultType: 'complete' });
    const lr = postsFor(lWire.log, 'tools/call', 'echo').at(-1);
    assert.equal(lr.headers['mcp-session-id'], l.c.transport.sessionId);
    assert.deepEqual(lr.response.result, { content: [{ type: 'text', text: 'hé 🌍 legacy' }] });
  });

  test('MRTR: the v2 client fulfils input_required and retries with the sealed requestState; v1 gets elicitation/create', async () => {
    await shared.elicitation(m, l);
    const [first, retry] = postsFor(mWire.log, 'tools/call', 'test_input_required_result_elicitation');
    assert.equal(first.headers['mcp-name'], 'test_input_required_result_elicitation');
    const ir = first.response.result;
    assert.equal(ir.resultType, 'input_required');
    assert.deepEqual(ir.inputRequests, {
      user_name: { method: 'elicitation/create', params: { message: 'What is your name?', requestedSchema: NAME_SCHEMA } },
    });
    assert.match(ir.requestState, /^v1\.[0-9a-f]{8}\.[A-Za-z0-9_-]+$/, 'a sealed, versioned requestState');
    assert.notEqual(retry.request.id, first.request.id, 'the retry is a new request');
    assert.equal(retry.request.params.requestState, ir.requestState, 'requestState echoed byte for byte');
    assert.deepEqual(retry.request.params.inputResponses, { user_name: { action: 'accept', content: { name: 'Modern' } } });
    assert.deepEqual(retry.response.result, { content: [{ type: 'text', text: 'Hello, Modern!' }], resultType: 'complete' });
    // The legacy client answered a server→client request, POSTed as a JSON-RPC response in its session. The wire log
    // records that POST when its 202 arrives, which may be after the tool's result reached the client: wait (bounded).
    const isAnswer = (e) => e.method === 'POST' && e.request && !('method' in e.request) && 'result' in e.request;
    for (let i = 0; i < 100 && !lWire.log.some(isAnswer); i++) await sleep(20);
    const answered = lWire.log.filter(isAnswer);
    assert.deepEqual(answered.map((e) => e.request.result), [{ action: 'accept', content: { name: 'Legacy' } }]);
  });

  test('progress: notifications on the modern POST\'s event stream, before the result', async () => {
    await shared.progress(m);
    const p = postsFor(mWire.log, 'tools/call', 'test_tool_with_progress').at(-1);
    assert.equal(p.contentType.split(';')[0], 'text/event-stream');
    // The same on raw bytes: three progress events carrying the token, then the response, then the end.
    const { msg, r } = await modernOpen(server, 'tools/call', { name: 'test_tool_with_progress', arguments: {} }, { meta: { progressToken: 'tok-1' } });
    assert.equal(r.status, 200);
    const events = (await r.sse.rest()).map((e) => e.json);
    assert.deepEqual(events, [
      ...PROGRESS.map((p2) => ({ jsonrpc: '2.0', method: 'notifications/progress', params: { progressToken: 'tok-1', ...p2 } })),
      { jsonrpc: '2.0', id: msg.id, result: { content: [{ type: 'text', text: 'Tool with progress executed successfully' }], resultType: 'complete' } },
    ]);
  });

  test('listen: a legacy session\'s tool call reaches the modern listener (SDK and raw stream, filtered)', async () => {
    const { msg, r } = await modernOpen(server, 'subscriptions/listen', { notifications: { toolsListChanged: true } }, { id: 'raw-listen' });
    const { r: promptsOnly } = await modernOpen(server, 'subscriptions/listen', { notifications: { promptsListChanged: true } }, { id: 'prompts-only' });
    try {
      assert.equal(r.status, 200);
      assert.equal(r.contentType.split(';')[0], 'text/event-stream');
      assert.deepEqual((await r.sse.next()).json, {
        jsonrpc: '2.0', method: 'notifications/subscriptions/acknowledged',
        params: { notifications: { toolsListChanged: true }, _meta: { [META_SUBSCRIPTION]: msg.id } },
      });
      await promptsOnly.sse.next();
      await shared.listen(m, l);
      const tagged = { jsonrpc: '2.0', method: 'notifications/tools/list_changed', params: { _meta: { [META_SUBSCRIPTION]: 'raw-listen' } } };
      assert.deepEqual((await r.sse.next()).json, tagged, 'added');
      assert.deepEqual((await r.sse.next()).json, tagged, 'removed');
      await sleep(200);
      assert.deepEqual(promptsOnly.sse.events.slice(1).map((e) => e.json), [], 'a prompts-only stream hears no tools change');
      assert.equal(r.sse.ended, false, 'the listen stream stays open');
    } finally {
      r.destroy();
      promptsOnly.destroy();
    }
    const [listenPost] = postsFor(mWire.log, 'subscriptions/listen');
    assert.equal(listenPost.contentType.split(';')[0], 'text/event-stream');
  });

  test('resources/read: the same contents; cache hints only on the modern wire; not found is -32602 vs -32002', async () => {
    await shared.resources(m, l);
    const modern = postsFor(mWire.log, 'resources/read').find((e) => e.request.params.uri === 'test://static-text');
    assert.deepEqual(modern.response.result, { contents: [STATIC_TEXT], ttlMs: 0, cacheScope: 'private', resultType: 'complete' });
    assert.equal(modern.headers['mcp-name'], 'test://static-text');
    const legacy = postsFor(lWire.log, 'resources/read').find((e) => e.request.params.uri === 'test://static-text');
    assert.deepEqual(legacy.response.result, { contents: [STATIC_TEXT] });
  });

  test('prompts/get: a plain prompt in both eras; the input-needing prompt through MRTR and through elicitation', async () => {
    await shared.prompts(m, l);
    const [first, retry] = postsFor(mWire.log, 'prompts/get', 'test_input_required_result_prompt');
    assert.equal(first.response.result.resultType, 'input_required');
    assert.deepEqual(Object.keys(first.response.result.inputRequests), ['user_context']);
    assert.equal(retry.response.result.resultType, 'complete');
  });
});

describe('stdio: one process serving a v1 legacy session and the v2 client, interleaved on one pipe', () => {
  let mux;
  let m;
  let l;

  before(async () => {
    mux = new StdioMux(everythingBin());
    m = modernClient();
    l = legacyClient();
    await l.c.connect(mux.port('legacy'), OPTS);
    await m.c.connect(mux.port('modern'), OPTS);
  });

  after(async () => {
    await m?.c.close();
    await l?.c.close();
    assert.deepEqual([...(m?.errors ?? []), ...(l?.errors ?? [])].map(String), [], 'no client reported an error');
    await mux.finish();
  });

  const sent = (tag, method) => mux.wire.filter((w) => w.dir === '>' && w.tag === tag && w.msg.method === method);
  const replyTo = (wireMsg) => mux.received().find((x) => !('method' in x) && x.id === wireMsg.msg.id);

  test('discover after initialize on the same pipe: the legacy session and the modern era coexist', () => {
    assert.equal(m.c.getProtocolEra(), 'modern');
    assert.equal(l.c.getServerVersion().name, 'bulwark-everything');
    const d = replyTo(sent('modern', 'server/discover')[0]);
    assert.deepEqual(d.result.supportedVersions, [MODERN]);
    assert.deepEqual(d.result._meta, { [META_SERVER_INFO]: SERVER_INFO });
    assert.equal(d.result.resultType, 'complete');
  });

  test('tools/list: the same tools; resultType/ttlMs/cacheScope only on the modern reply', async () => {
    await shared.toolsList(m, l);
    const modern = replyTo(sent('modern', 'tools/list').at(-1)).result;
    const legacy = replyTo(sent('legacy', 'tools/list').at(-1)).result;
    assert.deepEqual([modern.resultType, modern.ttlMs, modern.cacheScope], ['complete', 0, 'private']);
    assert.deepEqual(Object.keys(legacy), ['tools']);
  });

  test('tools/call echo, both clients at once', async () => {
    await shared.echo(m, l);
    const modern = replyTo(sent('modern', 'tools/call').at(-1));
    assert.deepEqual(modern.result, { content: [{ type: 'text', text: 'hé 🌍 modern' }], resultType: 'complete' });
  });

  test('MRTR round trip for the v2 client while the legacy session answers elicitation/create', async () => {
    await shared.elicitation(m, l);
    const calls = sent('modern', 'tools/call').slice(-2);
    const ir = replyTo(calls[0]).result;
    assert.equal(ir.resultType, 'input_required');
    assert.equal(calls[1].msg.params.requestState, ir.requestState);
    const serverRequests = mux.received().filter((x) => x.method === 'elicitation/create' && 'id' in x);
    assert.equal(serverRequests.length, 1, 'exactly one server→client request, for the legacy session');
  });

  test('progress on stdio: tokened notifications before the result', async () => {
    await shared.progress(m);
  });

  test('listen: the legacy session\'s tool call reaches the modern listener, tagged with its id', async () => {
    await shared.listen(m, l);
    const [listen] = sent('modern', 'subscriptions/listen');
    const tagged = mux.received().filter((x) => x.method === 'notifications/tools/list_changed' && x.params?._meta);
    assert.deepEqual(tagged, [1, 2].map(() => ({
      jsonrpc: '2.0', method: 'notifications/tools/list_changed', params: { _meta: { [META_SUBSCRIPTION]: listen.msg.id } },
    })));
    const untagged = mux.received().filter((x) => x.method === 'notifications/tools/list_changed' && !x.params);
    assert.equal(untagged.length, 2, 'the legacy session gets its own, untagged notifications');
    const cancel = mux.wire.filter((w) => w.dir === '>' && w.msg.method === 'notifications/cancelled');
    assert.deepEqual(cancel.map((w) => w.msg.params.requestId), [listen.msg.id], 'close() cancels the listen by id');
  });

  test('resources/read and its not-found codes per era', async () => {
    await shared.resources(m, l);
  });

  test('prompts/get: plain, and the input-needing prompt in both eras', async () => {
    await shared.prompts(m, l);
  });
});
