// Structured logs (issue 7): what `bulwark serve` writes on stderr, parsed line by line.
//  - every line is one JSON object: ts (RFC 3339 UTC, ms), level, msg first; request lines carry request_id,
//    session_id, trace_id, method, tool, duration_ms, outcome and, on failure, error_type / error_code / error;
//    a tool error is request_completed with outcome tool_error, a JSON-RPC error is request_failed at warn;
//  - secrets never reach stderr: a tool with log.arguments/results has its password, api_key, Authorization,
//    bearer-token and configured (redact: [customer_email]) values masked as "[REDACTED]" while the other
//    arguments show; a tool without `log` has no arguments logged at all;
//  - X-Request-ID: a valid one is echoed in the response header and is the log line's request_id; invalid ones
//    (spaces, quotes, more than 64 characters) are replaced by a generated id, echoed and logged instead, and never
//    appear anywhere; a traceparent header's trace id is the line's trace_id;
//  - --log-format text gives one readable line per event;
//  - the level changes at runtime on reload (SIGHUP), lifecycle levels follow the config, --log-level wins over the
//    file even across reloads, and level off (stdio) leaves stderr empty.
// Waits are bounded by WAIT_MS (count and time); only 127.0.0.1 is used; servers are stopped by pid.

import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { killAllSpawned, bulwarkBin, RawClient, finish, WAIT_MS } from '../lib/raw-stdio.mjs';
import { startHttp, finishHttp, initSession, post, req, responseTo, sleep, parseLogLine } from '../lib/http.mjs';

const TS_RE = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;
const LEVELS = ['debug', 'info', 'warn', 'error'];
const SECRETS = {
  password: 'pw-Secret-7391',
  api_key: 'key-Secret-5528',
  customer_email: 'ada@secret-mail.example',
  bearer: 'tok9f8e7d6c5b4a3210ZZ',
  plain_password: 'pw-Plain-4410',
  plain_key: 'key-Plain-8812',
};

let tmp;

function config({ logging = '', extraTools = '' } = {}) {
  return `server:
  name: log-test
  version: "1"
observability:
  logging:
    redact: [customer_email]
${logging}tools:
  - name: login
    input_schema: {type: object, properties: {user: {type: string}}, required: [user]}
    exec: {command: echo, args: ["{{user}}"]}
    log: {arguments: true, results: true}
  - name: plain
    exec: {command: echo, args: ["plain"]}
  - name: failing
    exec: {command: "false"}
${extraTools}`;
}

function writeConfig(name, text) {
  const file = path.join(tmp, name);
  const part = `${file}.part`;
  fs.writeFileSync(part, text);
  fs.renameSync(part, file); // a reload never reads half a file
  return file;
}

/** Every complete stderr line, parsed; asserts each is a JSON object with the fixed head. */
function jsonLines(stderr) {
  const lines = stderr.split('\n');
  assert.equal(lines.pop(), '', 'stderr ends with a complete line');
  return lines.map((line) => {
    let o;
    try {
      o = JSON.parse(line);
    } catch (e) {
      assert.fail(`not a JSON line: ${line}`);
    }
    assert.deepEqual(Object.keys(o).slice(0, 3), ['ts', 'level', 'msg'], line);
    assert.match(o.ts, TS_RE, line);
    assert.ok(LEVELS.includes(o.level), line);
    assert.equal(typeof o.msg, 'string', line);
    return o;
  });
}

/** POST tools/call; returns { msg, resp }. */
async function callTool(server, session, name, args, headers) {
  const m = req('tools/call', { name, arguments: args });
  const resp = await post(server, m, { session, headers });
  assert.equal(resp.status, 200, resp.text);
  return { msg: responseTo(resp, m.id), resp };
}

/** Waits (bounded) until a parsed line satisfies pred; returns it. */
async function waitLine(server, pred, what) {
  const t0 = Date.now();
  for (;;) {
    const found = server.stderr.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l)).find(pred);
    if (found) return found;
    if (Date.now() - t0 > WAIT_MS) assert.fail(`timed out waiting for ${what}; stderr:\n${server.stderr.slice(-3000)}`);
    await sleep(20);
  }
}

const countOf = (text, re) => (text.match(new RegExp(re.source, `g${re.flags.replace('g', '')}`)) ?? []).length;

/** The reload's result: a config_reloaded JSON line, written at every level but off (like the ready line). */
const RELOADED = /^\{"ts":"[^"]+","level":"info","msg":"config_reloaded","file":"[^"]+","tools":\d+,/m;

/** SIGHUP and wait (bounded) for the reload's result line. */
async function reload(server) {
  const before = countOf(server.stderr, RELOADED);
  process.kill(server.pid, 'SIGHUP');
  const t0 = Date.now();
  while (countOf(server.stderr, RELOADED) <= before) {
    if (Date.now() - t0 > WAIT_MS) assert.fail(`no reload within ${WAIT_MS} ms; stderr:\n${server.stderr.slice(-2000)}`);
    await sleep(20);
  }
}

/** SIGHUP a server whose new configuration logs nothing (level off) and lists tool `name`: waits (bounded) until
 * tools/list shows it, the sign that the reload is in. */
async function reloadUntilListed(server, session, name) {
  process.kill(server.pid, 'SIGHUP');
  const t0 = Date.now();
  for (;;) {
    const m = req('tools/list', {});
    const resp = await post(server, m, { session });
    assert.equal(resp.status, 200, resp.text);
    if (responseTo(resp, m.id).result.tools.some((t) => t.name === name)) return;
    if (Date.now() - t0 > WAIT_MS) assert.fail(`tool ${name} not listed within ${WAIT_MS} ms`);
    await sleep(20);
  }
}

before(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bw-logging-'));
});

after(async () => {
  await killAllSpawned();
  fs.rmSync(tmp, { recursive: true, force: true });
});

describe('JSON lines (the default)', () => {
  let s;
  let session;
  before(async () => {
    const file = writeConfig('json.yaml', config());
    s = await startHttp({ bin: bulwarkBin(), argv: ['serve', '-c', file, '--listen', '127.0.0.1:0'] });
    ({ session } = await initSession(s));
  });
  after(async () => {
    if (s) await finishHttp(s);
  });

  test('every stderr line is a JSON object with the schema; ok, tool_error and JSON-RPC error requests', async () => {
    const ok = await callTool(s, session, 'plain', {});
    assert.equal(ok.msg.result.isError, undefined, JSON.stringify(ok.msg));
    const te = await callTool(s, session, 'failing', {});
    assert.equal(te.msg.result.isError, true);
    const err = await callTool(s, session, 'no_such_tool', {});
    assert.equal(err.msg.error.code, -32602);
    const idOf = (r) => r.resp.headers['x-request-id'];
    await waitLine(s, (o) => o.request_id === idOf(err), 'the failed request\'s line');
    const lines = jsonLines(s.stderr);
    assert.equal(lines[0].msg, `listening on ${s.url}`);
    assert.equal(lines[0].url, s.url);
    assert.equal(lines[0].level, 'info');

    const line = (r) => {
      const found = lines.filter((o) => o.request_id === idOf(r));
      assert.equal(found.length, 1, `one line for request ${idOf(r)}: ${JSON.stringify(found)}`);
      return found[0];
    };
    const a = line(ok);
    assert.equal(a.level, 'info');
    assert.equal(a.msg, 'request_completed');
    assert.equal(a.session_id, session);
    assert.match(a.trace_id, /^[0-9a-f]{32}$/);
    assert.equal(a.method, 'tools/call');
    assert.equal(a.tool, 'plain');
    assert.equal(typeof a.duration_ms, 'number');
    assert.ok(a.duration_ms > 0 && a.duration_ms < WAIT_MS, `duration_ms ${a.duration_ms}`);
    assert.equal(a.outcome, 'ok');
    assert.equal(a.error, undefined);
    assert.equal(a.arguments, undefined, 'plain has no log key: no arguments');

    const b = line(te);
    assert.equal(b.msg, 'request_completed', 'a tool error is a completed request');
    assert.equal(b.level, 'info');
    assert.equal(b.outcome, 'tool_error');
    assert.equal(typeof b.error_type, 'string');
    assert.match(b.error, /^exit status 1/);

    const c = line(err);
    assert.equal(c.msg, 'request_failed');
    assert.equal(c.level, 'warn');
    assert.equal(c.tool, 'no_such_tool');
    assert.equal(c.outcome, 'error');
    assert.equal(c.error_type, 'invalid_params');
    assert.equal(c.error_code, -32602);
    assert.equal(c.error, 'Unknown tool: no_such_tool');
  });

  test('secrets never reach stderr: log.arguments/results are redacted, tools without log show no arguments', async () => {
    const args = {
      user: 'alice',
      note: 'visible note',
      password: SECRETS.password,
      api_key: SECRETS.api_key,
      customer_email: SECRETS.customer_email,
      headers: { Authorization: `Bearer ${SECRETS.bearer}` },
      message: `retry with Bearer ${SECRETS.bearer}`,
    };
    const r = await callTool(s, session, 'login', args);
    assert.equal(r.msg.result.content[0].text, 'alice\n');
    const p = await callTool(s, session, 'plain', { password: SECRETS.plain_password, apiKey: SECRETS.plain_key });
    assert.equal(p.msg.result.isError, undefined);
    await waitLine(s, (o) => o.request_id === p.resp.headers['x-request-id'], 'the plain call\'s line');
    const err = s.stderr;
    for (const [name, value] of Object.entries(SECRETS)) assert.ok(!err.includes(value), `${name} appears on stderr`);

    const line = jsonLines(err).find((o) => o.request_id === r.resp.headers['x-request-id']);
    assert.ok(line, 'the login call is logged');
    assert.deepEqual(line.arguments, {
      user: 'alice',
      note: 'visible note',
      password: '[REDACTED]',
      api_key: '[REDACTED]',
      customer_email: '[REDACTED]',
      headers: { Authorization: '[REDACTED]' },
      message: '[REDACTED]',
    });
    assert.equal(line.result.content[0].text, 'alice\n', 'results are logged for log.results: true');
    const plain = jsonLines(err).find((o) => o.request_id === p.resp.headers['x-request-id']);
    assert.equal(plain.arguments, undefined);
    assert.equal(plain.result, undefined);
  });

  test('X-Request-ID: a valid one is echoed and logged; invalid ones are replaced, echoed and logged instead', async () => {
    const good = 'client-Req.42:a_b';
    const g = await callTool(s, session, 'plain', {}, { 'X-Request-ID': good });
    assert.equal(g.resp.headers['x-request-id'], good);
    const gl = await waitLine(s, (o) => o.request_id === good && o.msg === 'request_completed', 'the line of ' + good);
    assert.equal(gl.tool, 'plain');

    for (const bad of ['has spaces in it', 'quote"and<angle>', 'x'.repeat(65), 'semi;colon']) {
      const b = await callTool(s, session, 'plain', {}, { 'X-Request-ID': bad });
      const echoed = b.resp.headers['x-request-id'];
      assert.match(echoed, /^[0-9a-f]{32}$/, `${JSON.stringify(bad)} is replaced by a generated id`);
      const bl = await waitLine(s, (o) => o.request_id === echoed, `the line of the request sent with ${JSON.stringify(bad)}`);
      assert.equal(bl.msg, 'request_completed');
      assert.ok(!s.stderr.includes(bad), `${JSON.stringify(bad)} never appears on stderr`);
    }
    // Without the header: a generated id, different for each request.
    const n1 = await callTool(s, session, 'plain', {});
    const n2 = await callTool(s, session, 'plain', {});
    assert.match(n1.resp.headers['x-request-id'], /^[0-9a-f]{32}$/);
    assert.notEqual(n1.resp.headers['x-request-id'], n2.resp.headers['x-request-id']);
  });

  test('a traceparent header\'s trace id is the line\'s trace_id', async () => {
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    const r = await callTool(s, session, 'plain', {}, { traceparent: `00-${traceId}-00f067aa0ba902b7-01` });
    const l = await waitLine(s, (o) => o.request_id === r.resp.headers['x-request-id'], 'the traced request\'s line');
    assert.equal(l.trace_id, traceId);
  });
});

describe('--log-format text', () => {
  test('one readable line per event: "<ts> LEVEL msg key=value ..."', async () => {
    const file = writeConfig('text.yaml', config());
    const s = await startHttp({ bin: bulwarkBin(), argv: ['serve', '-c', file, '--listen', '127.0.0.1:0', '--log-format', 'text'] });
    try {
      assert.match(s.readyLine, new RegExp(`^\\S+ INFO listening on ${s.url.replace(/[.]/g, '\\.')} url=\\S+$`));
      const { session } = await initSession(s);
      const r = await callTool(s, session, 'plain', {}, { 'X-Request-ID': 'text-1' });
      assert.equal(r.msg.result.content[0].text, 'plain\n');
      const re = new RegExp(`^(\\S+) INFO request_completed request_id=text-1 session_id=${session} ` +
        'trace_id=[0-9a-f]{32} method=tools/call tool=plain duration_ms=\\d+\\.\\d{3} outcome=ok$', 'm');
      const t0 = Date.now();
      while (!re.test(s.stderr) && Date.now() - t0 < WAIT_MS) await sleep(20);
      const m = re.exec(s.stderr);
      assert.ok(m, `a text line for the call; stderr:\n${s.stderr}`);
      assert.match(m[1], TS_RE);
      for (const l of s.stderr.trimEnd().split('\n')) assert.equal(parseLogLine(l).format, 'text', l);
    } finally {
      await finishHttp(s);
    }
  });
});

describe('levels at runtime', () => {
  test('a reload (SIGHUP) changes the level and lifecycle levels of the running server', async () => {
    const file = writeConfig('levels.yaml', config({ logging: '    level: warn\n' }));
    const s = await startHttp({ bin: bulwarkBin(), argv: ['serve', '-c', file, '--listen', '127.0.0.1:0'] });
    try {
      const { session } = await initSession(s);
      const quiet = await callTool(s, session, 'plain', {});
      const failed = await callTool(s, session, 'no_such_tool', {});
      const fl = await waitLine(s, (o) => o.request_id === failed.resp.headers['x-request-id'], 'the warn line');
      assert.equal(fl.level, 'warn');
      assert.ok(!s.stderr.includes(quiet.resp.headers['x-request-id']), 'at warn, a completed request is not logged');

      writeConfig('levels.yaml', config({ logging: '    level: info\n' }));
      await reload(s);
      const loud = await callTool(s, session, 'plain', {});
      const ll = await waitLine(s, (o) => o.request_id === loud.resp.headers['x-request-id'], 'the info line after reload');
      assert.equal(ll.msg, 'request_completed');
      assert.equal(ll.level, 'info');

      writeConfig('levels.yaml', config({ logging: '    level: debug\n    events: {started: info, completed: error}\n' }));
      await reload(s);
      const ev = await callTool(s, session, 'plain', {});
      const id = ev.resp.headers['x-request-id'];
      await waitLine(s, (o) => o.request_id === id && o.msg === 'request_completed', 'request_completed at error');
      const mine = jsonLines(s.stderr.split('\n').filter((l) => l.startsWith('{')).join('\n') + '\n')
        .filter((o) => o.request_id === id);
      assert.deepEqual(mine.map((o) => [o.msg, o.level]), [['request_started', 'info'], ['request_completed', 'error']]);

      const before = s.stderr.length;
      writeConfig('levels.yaml', config({ logging: '    level: off\n', extraTools: '  - name: added\n    exec: {command: echo, args: ["added"]}\n' }));
      await reloadUntilListed(s, session, 'added');
      const off = await callTool(s, session, 'no_such_tool', {});
      await callTool(s, session, 'plain', {}); // a barrier: its line would come after
      await sleep(200);
      assert.ok(!s.stderr.includes(off.resp.headers['x-request-id']), 'level off: nothing is logged');
      assert.ok(!s.stderr.slice(before).includes('config_reloaded'), 'level off: not even the reload\'s own line');
    } finally {
      await finishHttp(s);
    }
  });

  test('--log-level wins over the file, also after a reload', async () => {
    const file = writeConfig('pinned.yaml', config({ logging: '    level: debug\n' }));
    const s = await startHttp({ bin: bulwarkBin(), argv: ['serve', '-c', file, '--listen', '127.0.0.1:0', '--log-level', 'warn'] });
    try {
      const { session } = await initSession(s);
      const a = await callTool(s, session, 'plain', {});
      writeConfig('pinned.yaml', config({ logging: '    level: info\n' }));
      await reload(s);
      const b = await callTool(s, session, 'plain', {});
      const f = await callTool(s, session, 'no_such_tool', {});
      await waitLine(s, (o) => o.request_id === f.resp.headers['x-request-id'], 'the warn line');
      for (const r of [a, b]) assert.ok(!s.stderr.includes(r.resp.headers['x-request-id']), 'info lines stay off');
    } finally {
      await finishHttp(s);
    }
  });

  test('level off: a stdio server writes nothing at all on stderr', async () => {
    const file = writeConfig('off.yaml', config({ logging: '    level: off\n' }));
    const c = new RawClient(bulwarkBin(), ['serve', '-c', file, '--stdio']);
    await c.initialize();
    const r = await c.request('tools/call', { name: 'plain', arguments: {} });
    assert.equal(r.result.content[0].text, 'plain\n');
    const e = await c.request('tools/call', { name: 'no_such_tool', arguments: {} });
    assert.equal(e.error.code, -32602);
    await finish(c);
    assert.equal(c.stderr, '');
  });

  test('stdio at the default level: JSON lines only, stdout carries only protocol messages', async () => {
    const file = writeConfig('stdio.yaml', config());
    const c = new RawClient(bulwarkBin(), ['serve', '-c', file, '--stdio']);
    await c.initialize();
    const r = await c.request('tools/call', { name: 'plain', arguments: {} });
    assert.equal(r.result.content[0].text, 'plain\n');
    await finish(c);
    const lines = jsonLines(c.stderr);
    assert.equal(lines[0].msg, 'serving MCP on stdio');
    const done = lines.filter((o) => o.msg === 'request_completed' && o.tool === 'plain');
    assert.equal(done.length, 1);
    assert.equal(done[0].session_id, undefined, 'stdio has no session id');
    assert.match(done[0].request_id, /^[0-9a-f]{32}$/);
    assert.deepEqual(c.badLines, []);
  });
});
