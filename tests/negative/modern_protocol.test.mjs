// The 2026-07-28 era's refusals, on the wire: envelope errors, MCP-Protocol-Version / Mcp-Method / Mcp-Name /
// Mcp-Param-* mismatches (SEP-2243, base64 forms included), unsupported versions, methods of the other era (both
// ways, over HTTP and stdio), subscriptions/listen filter errors, and the tasks extension's errors. Every error
// asserts the HTTP status, the JSON-RPC code, the message, and that error.id echoes the request id.

import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { killAllSpawned, spawnEverything, finish } from '../lib/raw-stdio.mjs';
import { startHttp, finishHttp, initSession, post, req, sleep } from '../lib/http.mjs';
import {
  MODERN, META_VERSION, META_CAPS, TASKS_EXT, TASK_CAPS, envelope, modernMsg, modernPost, modernOpen, modernCall,
  assertModernError, stdioModern,
} from '../lib/modern.mjs';

after(killAllSpawned);

const LEGACY_VERSIONS = 'legacy clients: initialize with 2025-11-25, 2025-06-18, 2025-03-26 or 2024-11-05';
const ENVELOPE_MSG = 'Invalid params: _meta must carry "io.modelcontextprotocol/protocolVersion" (a string) and ' +
  '"io.modelcontextprotocol/clientCapabilities" (an object)';
const NO_ENVELOPE_MSG = 'Invalid params: a 2026-07-28 request must carry params._meta["io.modelcontextprotocol/protocolVersion"] ' +
  'and ["io.modelcontextprotocol/clientCapabilities"]';
const NEED_TASKS = {
  code: -32021, message: 'Missing required client capability: declare the io.modelcontextprotocol/tasks extension',
  data: { requiredCapabilities: { extensions: { [TASKS_EXT]: {} } } },
};
const notInModern = (m) => `Method not found: ${m} (not part of protocol revision 2026-07-28)`;
const onlyModern = (m) => `Method not found: ${m} (only in protocol revision 2026-07-28; send the request with its _meta envelope)`;

/**
 * The message of a -32020 header error with its "Header mismatch: " prefix taken off. The prefix is asserted once
 * here; that it is not doubled is a separate test below.
 */
function headerDetail(err) {
  assert.equal(err.code, -32020);
  assert.ok(err.message.startsWith('Header mismatch: '), err.message);
  return err.message.replace(/^(Header mismatch: )+/, '');
}

/** POST msg with exactly these headers (plus Content-Type/Accept). */
const rawPost = (server, msg, headers) => post(server, msg, { headers }).then((resp) => ({ msg, resp }));

describe('Streamable HTTP', () => {
  let server;

  before(async () => {
    server = await startHttp();
  });

  after(() => finishHttp(server));

  describe('the envelope and the version', () => {
    test('a modern header without the _meta claim → 400 -32602', async () => {
      for (const params of [{}, { _meta: { [META_CAPS]: {} } }, { _meta: {} }]) {
        const x = await rawPost(server, req('server/discover', params), { 'MCP-Protocol-Version': MODERN, 'Mcp-Method': 'server/discover' });
        assert.equal(assertModernError(x, 400, -32602, JSON.stringify(params)).message, NO_ENVELOPE_MSG);
      }
    });

    test('a claim with a malformed envelope (version not a string, capabilities missing or an array) → 400 -32602', async () => {
      for (const meta of [{ [META_VERSION]: 7, [META_CAPS]: {} }, { [META_VERSION]: MODERN }, { [META_VERSION]: MODERN, [META_CAPS]: [] }]) {
        const x = await modernPost(server, 'server/discover', { _meta: meta }, { noMeta: true });
        assert.equal(assertModernError(x, 400, -32602, JSON.stringify(meta)).message, ENVELOPE_MSG);
      }
    });

    test('MCP-Protocol-Version header differing from the _meta claim → 400 -32020 (checked before version support)', async () => {
      let x = await modernPost(server, 'tools/list', {}, { headers: { 'MCP-Protocol-Version': '2025-11-25' } });
      assert.equal(assertModernError(x, 400, -32020).message,
        "Header mismatch: MCP-Protocol-Version header '2025-11-25' differs from _meta protocolVersion '2026-07-28'");
      x = await modernPost(server, 'server/discover', { _meta: { ...envelope({}), [META_VERSION]: 'v999.0.0' } }, { noMeta: true });
      assert.equal(assertModernError(x, 400, -32020).message,
        "Header mismatch: MCP-Protocol-Version header '2026-07-28' differs from _meta protocolVersion 'v999.0.0'");
    });

    test('a claim without the MCP-Protocol-Version header → 400 -32020', async () => {
      const x = await modernPost(server, 'tools/list', {}, { headers: { 'MCP-Protocol-Version': null } });
      assert.equal(assertModernError(x, 400, -32020).message, 'Header mismatch: a 2026-07-28 request needs the MCP-Protocol-Version header');
    });

    test('an unsupported version (header and claim agree) → 400 -32022 with data.supported and data.requested', async () => {
      for (const v of ['v999.0.0', '2030-01-01', '2025-11-25']) {
        const x = await modernPost(server, 'server/discover', { _meta: { ...envelope({}), [META_VERSION]: v } },
          { noMeta: true, headers: { 'MCP-Protocol-Version': v } });
        assert.deepEqual(assertModernError(x, 400, -32022, v), {
          code: -32022, message: `Unsupported protocol version: ${v} (supported: ${MODERN}; ${LEGACY_VERSIONS})`,
          data: { supported: [MODERN], requested: v },
        });
      }
      const d = await modernCall(server, 'server/discover');
      assert.deepEqual(d.supportedVersions, [MODERN], 'data.supported is what discover says');
    });

    test('a legacy initialize carrying the modern MCP-Protocol-Version header → 400 -32020', async () => {
      const x = await rawPost(server, req('initialize', { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'n', version: '1' } }),
        { 'MCP-Protocol-Version': MODERN });
      assert.equal(assertModernError(x, 400, -32020).message,
        'Header mismatch: initialize opens a legacy session, but MCP-Protocol-Version names the stateless revision 2026-07-28');
    });

    test('an Mcp-Session-Id on a modern request is ignored (even an unknown one)', async () => {
      const { resp, reply } = await modernPost(server, 'server/discover', {}, { headers: { 'Mcp-Session-Id': 'no-such-session' } });
      assert.equal(resp.status, 200);
      assert.deepEqual(reply.result.supportedVersions, [MODERN]);
      assert.equal(resp.headers['mcp-session-id'], undefined, 'no session is created');
    });

    test('a modern notification is accepted with 202 and no body', async () => {
      const n = { jsonrpc: '2.0', method: 'notifications/initialized', params: { _meta: envelope({}) } };
      const resp = await post(server, n, { headers: { 'MCP-Protocol-Version': MODERN, 'Mcp-Method': n.method } });
      assert.equal(resp.status, 202);
      assert.equal(resp.body.length, 0);
    });
  });

  describe('Mcp-Method, Mcp-Name and Mcp-Param-* (SEP-2243)', () => {
    const TOOL = 'test_x_mcp_header';
    const call = (region, headers) => modernPost(server, 'tools/call',
      { name: TOOL, arguments: region === undefined ? {} : { region } }, { headers });
    const accepted = async (region, headers, text) => {
      const { resp, reply } = await call(region, headers);
      assert.equal(resp.status, 200, resp.text);
      assert.deepEqual(reply.result, { content: [{ type: 'text', text }], resultType: 'complete' });
    };
    const rejected = async (region, headers, detail) => {
      const x = await call(region, headers);
      assert.equal(headerDetail(assertModernError(x, 400, -32020, JSON.stringify(headers))), detail);
    };

    test('Mcp-Method: mismatched, missing, or of another case → 400 -32020; the header name is case-insensitive', async () => {
      let x = await modernPost(server, 'tools/list', {}, { headers: { 'Mcp-Method': 'prompts/list' } });
      assert.equal(headerDetail(assertModernError(x, 400, -32020)), "Mcp-Method header value 'prompts/list' does not match body method 'tools/list'");
      x = await modernPost(server, 'tools/list', {}, { headers: { 'Mcp-Method': 'TOOLS/LIST' } });
      assert.equal(headerDetail(assertModernError(x, 400, -32020)), "Mcp-Method header value 'TOOLS/LIST' does not match body method 'tools/list'");
      x = await modernPost(server, 'tools/list', {}, { headers: { 'Mcp-Method': null } });
      assert.equal(headerDetail(assertModernError(x, 400, -32020)), "missing Mcp-Method header (body method 'tools/list')");
      for (const h of ['mcp-method', 'MCP-METHOD']) {
        const { resp } = await modernPost(server, 'tools/list', {}, { headers: { 'Mcp-Method': null, [h]: 'tools/list' } });
        assert.equal(resp.status, 200, `${h}: ${resp.text.slice(0, 200)}`);
      }
    });

    test('Mcp-Name: wrong or missing → 400 -32020; surrounding whitespace is trimmed', async () => {
      await rejected(undefined, { 'Mcp-Name': 'wrong_tool_name' }, `Mcp-Name header value 'wrong_tool_name' does not match body name '${TOOL}'`);
      await rejected(undefined, { 'Mcp-Name': null }, `missing Mcp-Name header (body name '${TOOL}')`);
      await accepted(undefined, { 'Mcp-Name': `  ${TOOL}  ` }, 'region=(none)');
      const r = await modernPost(server, 'resources/read', { uri: 'test://static-text' }, { headers: { 'Mcp-Name': 'test://other' } });
      assert.equal(headerDetail(assertModernError(r, 400, -32020)),
        "Mcp-Name header value 'test://other' does not match body uri 'test://static-text'");
    });

    test('Mcp-Param-Region: literal and base64 forms accepted, bad base64 and mismatches refused', async () => {
      await accepted('Hello', { 'Mcp-Param-Region': 'Hello' }, 'region=Hello');
      await accepted('Hello', { 'Mcp-Param-Region': '=?base64?SGVsbG8=?=' }, 'region=Hello');
      await accepted('SGVsbG8=', { 'Mcp-Param-Region': 'SGVsbG8=' }, 'region=SGVsbG8=');
      await accepted('=?base64?SGVsbG8=', { 'Mcp-Param-Region': '=?base64?SGVsbG8=' }, 'region==?base64?SGVsbG8=');
      await accepted(undefined, {}, 'region=(none)');
      await rejected('Hello', { 'Mcp-Param-Region': '=?base64?SGVsbG8?=' }, "Mcp-Param-Region header value '=?base64?SGVsbG8?=' is not valid base64");
      await rejected('Hello', { 'Mcp-Param-Region': '=?base64?SGVs!!!bG8=?=' }, "Mcp-Param-Region header value '=?base64?SGVs!!!bG8=?=' is not valid base64");
      await rejected('Hello', { 'Mcp-Param-Region': '=?base64?SGVsbG8==?=' }, "Mcp-Param-Region header value '=?base64?SGVsbG8==?=' is not valid base64");
      await rejected('Hello', {}, "missing Mcp-Param-Region header for argument 'region'");
      await rejected('Hello', { 'Mcp-Param-Region': 'World' },
        "Mcp-Param-Region header value 'World' does not match argument 'region' value 'Hello'");
      await rejected('Hello', { 'Mcp-Param-Region': '=?base64?V29ybGQ=?=' },
        "Mcp-Param-Region header value '=?base64?V29ybGQ=?=' does not match argument 'region' value 'Hello'");
      await rejected(undefined, { 'Mcp-Param-Region': 'Hello' }, "Mcp-Param-Region header sent but argument 'region' is absent or null");
    });

    test('the "Header mismatch: " prefix is not doubled', async () => {
      const x = await modernPost(server, 'tools/list', {}, { headers: { 'Mcp-Method': 'prompts/list' } });
      assert.equal(assertModernError(x, 400, -32020).message,
        "Header mismatch: Mcp-Method header value 'prompts/list' does not match body method 'tools/list'");
    });
  });

  describe('methods of the other era', () => {
    test('ping, initialize (in an envelope), logging/setLevel, resources/(un)subscribe, unknown/method → 404 -32601', async () => {
      const cases = [
        ['ping', {}], ['initialize', { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'n', version: '1' } }],
        ['logging/setLevel', { level: 'info' }], ['resources/subscribe', { uri: 'test://watched-resource' }],
        ['resources/unsubscribe', { uri: 'test://watched-resource' }],
      ];
      for (const [m, params] of cases) {
        const x = await modernPost(server, m, params);
        assert.equal(assertModernError(x, 404, -32601, m).message, notInModern(m));
      }
      const x = await modernPost(server, 'unknown/method', {});
      assert.equal(assertModernError(x, 404, -32601).message, 'Method not found: unknown/method');
    });

    test('server/discover, subscriptions/listen and tasks/get in a legacy session → -32601 (HTTP 200)', async () => {
      const { session } = await initSession(server);
      for (const [m, params] of [['server/discover', {}], ['subscriptions/listen', { notifications: { toolsListChanged: true } }], ['tasks/get', { taskId: 'x' }]]) {
        const msg = req(m, params);
        const resp = await post(server, msg, { session, version: '2025-11-25' });
        assert.equal(assertModernError({ msg, resp }, 200, -32601, m).message, onlyModern(m));
      }
    });

    test('a legacy session request carrying a modern envelope → 400 -32020 (its header says 2025-11-25)', async () => {
      const { session } = await initSession(server);
      const msg = req('tools/list', { _meta: envelope({}) });
      const resp = await post(server, msg, { session, version: '2025-11-25', headers: { 'Mcp-Method': 'tools/list' } });
      assert.equal(assertModernError({ msg, resp }, 400, -32020).message,
        "Header mismatch: MCP-Protocol-Version header '2025-11-25' differs from _meta protocolVersion '2026-07-28'");
    });
  });

  describe('subscriptions/listen filter errors', () => {
    test('notifications not an object, resourceSubscriptions not an array of strings → -32602 (HTTP 200)', async () => {
      for (const notifications of [5, 'all', []]) {
        const x = await modernPost(server, 'subscriptions/listen', { notifications });
        assert.equal(assertModernError(x, 200, -32602, JSON.stringify(notifications)).message,
          'Invalid params: "notifications" must be an object');
      }
      const tooMany = Array.from({ length: 257 }, (_, i) => `test://r/${i}`);
      for (const rs of ['test://x', [7], [''], tooMany]) {
        const x = await modernPost(server, 'subscriptions/listen', { notifications: { resourceSubscriptions: rs } });
        assert.equal(assertModernError(x, 200, -32602, 'resourceSubscriptions').message,
          'Invalid params: resourceSubscriptions and taskIds must be arrays of at most 256 non-empty strings');
      }
    });

    test('taskIds without the tasks extension → 400 -32021 naming the extension', async () => {
      const x = await modernPost(server, 'subscriptions/listen', { notifications: { taskIds: ['t1'] } }, { caps: {} });
      assert.deepEqual(assertModernError(x, 400, -32021), {
        code: -32021, message: 'Missing required client capability', data: { requiredCapabilities: { extensions: { [TASKS_EXT]: {} } } },
      });
    });

    test('unknown filter keys are dropped from the acknowledgment', async () => {
      const msg = modernMsg('subscriptions/listen', { notifications: { toolsListChanged: true, bogus: true, promptsListChanged: false } });
      const { r } = await modernOpen(server, msg.method, undefined, { msg });
      try {
        assert.equal(r.status, 200);
        assert.deepEqual((await r.sse.next()).json.params.notifications, { toolsListChanged: true });
      } finally {
        r.destroy();
      }
    });
  });

  describe('tasks extension', () => {
    test('tasks/get, tasks/update, tasks/cancel without the extension → 400 -32021 (before any lookup)', async () => {
      for (const [m, params] of [['tasks/get', { taskId: 'gate-test' }], ['tasks/update', { taskId: 'gate-test', inputResponses: {} }],
        ['tasks/cancel', { taskId: 'gate-test' }]]) {
        const x = await modernPost(server, m, params, { caps: {} });
        assert.deepEqual(assertModernError(x, 400, -32021, m), NEED_TASKS);
      }
    });

    test('a task-required tool without the extension → 400 -32021 with data.requiredCapabilities.extensions', async () => {
      const x = await modernPost(server, 'tools/call', { name: 'failing_job', arguments: {} }, { caps: { elicitation: {} } });
      assert.deepEqual(assertModernError(x, 400, -32021), NEED_TASKS);
    });

    test('unknown task id on get/update/cancel → -32602; a non-string id → -32602', async () => {
      for (const [m, params] of [['tasks/get', { taskId: 'no-such-task' }], ['tasks/update', { taskId: 'no-such-task', inputResponses: {} }],
        ['tasks/cancel', { taskId: 'no-such-task' }]]) {
        const x = await modernPost(server, m, params, { caps: TASK_CAPS });
        assert.equal(assertModernError(x, 200, -32602, m).message, 'Failed to retrieve task: Task not found (unknown or expired)');
      }
      const x = await modernPost(server, 'tasks/get', { taskId: 5 }, { caps: TASK_CAPS, headers: { 'Mcp-Name': null } });
      assert.equal(assertModernError(x, 200, -32602).message, 'Invalid params: taskId must be a string');
    });

    test('tasks/list and tasks/result are not methods → 404 -32601', async () => {
      for (const m of ['tasks/list', 'tasks/result']) {
        const x = await modernPost(server, m, m === 'tasks/result' ? { taskId: 't' } : {}, { caps: TASK_CAPS });
        assert.equal(assertModernError(x, 404, -32601, m).message, `Method not found: ${m}`);
      }
    });

    test('cancel of a finished task → the ack {"resultType":"complete"}, and the task stays completed', async () => {
      const created = await modernCall(server, 'tools/call', { name: 'greet', arguments: { name: 'x' } }, { caps: TASK_CAPS });
      assert.deepEqual(created, { content: [{ type: 'text', text: 'Hello, x!' }], resultType: 'complete' }, 'greet is synchronous');
      const task = await modernCall(server, 'tools/call', { name: 'failing_job', arguments: {} }, { caps: TASK_CAPS });
      assert.equal(task.resultType, 'task');
      let got;
      for (let i = 0; i < 100; i++) {
        got = await modernCall(server, 'tasks/get', { taskId: task.taskId }, { caps: TASK_CAPS });
        if (got.status !== 'working') break;
        await sleep(100);
      }
      assert.equal(got.status, 'completed');
      assert.deepEqual(got.result, { content: [{ type: 'text', text: 'failing_job failed on purpose (a tool execution error)' }], isError: true });
      assert.deepEqual(await modernCall(server, 'tasks/cancel', { taskId: task.taskId }, { caps: TASK_CAPS }), { resultType: 'complete' });
      assert.deepEqual(await modernCall(server, 'tasks/cancel', { taskId: task.taskId }, { caps: TASK_CAPS }), { resultType: 'complete' }, 'idempotent');
      assert.equal((await modernCall(server, 'tasks/get', { taskId: task.taskId }, { caps: TASK_CAPS })).status, 'completed');
    });

    test('Mcp-Name differing from taskId → 400 -32020; Mcp-Method tasks/get on a tools/call → 400 -32020', async () => {
      let x = await modernPost(server, 'tasks/get', { taskId: 'abc' }, { caps: TASK_CAPS, headers: { 'Mcp-Name': 'other' } });
      assert.equal(headerDetail(assertModernError(x, 400, -32020)), "Mcp-Name header value 'other' does not match body taskId 'abc'");
      x = await modernPost(server, 'tools/call', { name: 'greet', arguments: { name: 'x' } }, { caps: TASK_CAPS, headers: { 'Mcp-Method': 'tasks/get' } });
      assert.equal(headerDetail(assertModernError(x, 400, -32020)), "Mcp-Method header value 'tasks/get' does not match body method 'tools/call'");
    });
  });
});

describe('stdio: the same era rules on one pipe', () => {
  test('legacy methods in the modern era, modern methods in the legacy session, version and envelope errors', async () => {
    const c = spawnEverything();
    try {
      for (const [m, params] of [['ping', {}], ['logging/setLevel', { level: 'info' }], ['initialize', { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'n', version: '1' } }]]) {
        const r = await stdioModern(c, m, params, { id: `x-${m}` });
        assert.deepEqual(r, { jsonrpc: '2.0', id: `x-${m}`, error: { code: -32601, message: notInModern(m) } });
      }
      let r = await c.request('server/discover', { _meta: { ...envelope({}), [META_VERSION]: '1999-01-01' } }, { id: 41 });
      assert.deepEqual(r, {
        jsonrpc: '2.0', id: 41,
        error: { code: -32022, message: `Unsupported protocol version: 1999-01-01 (supported: ${MODERN}; ${LEGACY_VERSIONS})`, data: { supported: [MODERN], requested: '1999-01-01' } },
      });
      r = await c.request('server/discover', { _meta: { [META_VERSION]: MODERN } }, { id: 42 });
      assert.deepEqual(r, { jsonrpc: '2.0', id: 42, error: { code: -32602, message: ENVELOPE_MSG } });
      await c.initialize();
      for (const m of ['server/discover', 'subscriptions/listen']) {
        r = await c.request(m, {}, { id: `legacy-${m}` });
        assert.deepEqual(r, { jsonrpc: '2.0', id: `legacy-${m}`, error: { code: -32601, message: onlyModern(m) } });
      }
      // Both eras still work on the pipe afterwards.
      await c.assertAlive();
      const d = await stdioModern(c, 'server/discover');
      assert.deepEqual(d.result.supportedVersions, [MODERN]);
      await finish(c);
    } finally {
      await c.kill();
    }
  });
});
