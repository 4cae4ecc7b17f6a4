// Hot reload (issue 6): `bulwark serve -c` re-reads its configuration on SIGHUP, on `bulwark reload --pid-file`
// and (reliability.reload.watch) when the file changes. Asserted on the wire under a bounded concurrent load
// (16 concurrent tools/call over HTTP against SQLite- and exec-backed tools, a few seconds at most):
//  - a changed configuration (a tool added, one removed, one changed) is swapped in with zero failed requests;
//    the new tool is listed and callable, the removed one is gone, the changed one answers the new way, and the
//    SDK client's session gets notifications/tools/list_changed;
//  - a database whose settings did not change keeps its connection: SQLite's total_changes() is a per-connection
//    counter, so the same value after the reload means the same connection (pool max 1); a database whose
//    settings changed is reopened (the counter restarts at 0) — the control that makes the first assertion real;
//  - a broken configuration (YAML error, schema error) changes nothing: zero failed requests, the old tools still
//    answer, and stderr has a config_reload_failed log line (serving: "previous configuration") whose errors carry
//    each problem's file, line and col;
//  - the reload's lines are log lines (one schema on stderr): config_reloaded with the counts, config_warning with
//    the warning's position, config_restart_needed with the sections; readable with --log-format text;
//  - `bulwark reload --pid-file F` sends the signal; the pid file is written 0644 and removed on exit;
//  - reliability.reload.watch picks up a rewrite of the file without any signal.
// No timing assertion: waits are bounded by WAIT_MS (15 s default, generous for ASan on a loaded 2-core box).

import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { ToolListChangedNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import { killAllSpawned, bulwarkBin, runCommand, WAIT_MS } from '../lib/raw-stdio.mjs';
import { startHttp, finishHttp, initSession, post, req, responseTo, textOf, sleep, parseLogLine } from '../lib/http.mjs';
import { connectStreamable, collector, REQ_OPTS } from '../lib/http-sdk.mjs';

const LOAD_CONNECTIONS = 16;
const LOAD_MAX_CALLS = 4000;

let tmp;

/** A configuration: `hello` says `greeting`; `old_tool` exists unless `v2`, `new_tool` only with `v2`. */
function config({ greeting = 'hello', v2 = false, markerBusyMs = 5000, extra = '' } = {}) {
  return `server:
  name: reload-test
  version: "1"
databases:
  main:
    driver: sqlite
    path: main.db
    init_script: seed.sql
    pool: {min: 1, max: 4}
  marker:
    driver: sqlite
    path: marker.db
    init_script: seed.sql
    busy_timeout_ms: ${markerBusyMs}
    pool: {min: 1, max: 1}
${extra}tools:
  - name: lookup
    annotations: {readOnlyHint: true}
    input_schema: {type: object, properties: {id: {type: integer}}, required: [id]}
    sql: {database: main, result: row, statement: "SELECT id, label FROM items WHERE id = :id"}
  - name: bump
    sql: {database: marker, read_only: false, statement: "INSERT INTO items(label) VALUES ('bump')"}
  - name: changes
    sql: {database: marker, result: row, statement: "SELECT total_changes() AS n"}
  - name: hello
    exec: {command: echo, args: ["${greeting}"]}
${v2 ? `  - name: new_tool
    exec: {command: echo, args: ["new"]}
` : `  - name: old_tool
    exec: {command: echo, args: ["old"]}
`}`;
}

/** Replaces the file the way editors do (write a temporary, rename over): the server never reads half a file. */
function writeConfig(file, text) {
  const part = `${file}.part`;
  fs.writeFileSync(part, text);
  fs.renameSync(part, file);
}

/** The complete stderr lines (a partial last line is left for later). */
function completeLines(stderr) {
  const lines = stderr.split('\n');
  lines.pop();
  return lines;
}

/** The JSON log lines of stderr whose msg is `name`, parsed. */
function events(stderr, name) {
  return completeLines(stderr).filter((l) => l.startsWith('{')).map((l) => JSON.parse(l)).filter((o) => o.msg === name);
}

/** Wait (bounded) until stderr holds more than `before` `name` lines; returns the first new one. */
async function waitEvent(server, name, before, what) {
  const t0 = Date.now();
  for (;;) {
    const all = events(server.stderr, name);
    if (all.length > before) return all[before];
    if (Date.now() - t0 > WAIT_MS) throw new Error(`timed out waiting for ${what}; stderr:\n${server.stderr.slice(-3000)}`);
    if (!server.running) throw new Error(`server exited while waiting for ${what}; stderr:\n${server.stderr.slice(-3000)}`);
    await sleep(20);
  }
}

/** The 1-based number of the line of text that contains needle. */
function lineOf(text, needle) {
  const i = text.split('\n').findIndex((l) => l.includes(needle));
  assert.ok(i >= 0, `${needle} is in the configuration`);
  return i + 1;
}

/** Asserts every complete stderr line is one JSON log object starting with ts, level, msg. */
function assertAllJson(stderr) {
  for (const l of completeLines(stderr)) {
    let o;
    assert.doesNotThrow(() => { o = JSON.parse(l); }, `a JSON log line: ${l}`);
    assert.deepEqual(Object.keys(o).slice(0, 3), ['ts', 'level', 'msg'], l);
  }
}

const RELOADED = 'config_reloaded';
const FAILED = 'config_reload_failed';

async function toolCall(server, session, agent, name, args = {}) {
  const m = req('tools/call', { name, arguments: args });
  const resp = await post(server, m, { session, agent });
  if (resp.status !== 200) return { fail: `HTTP ${resp.status}: ${resp.text.slice(0, 200)}` };
  const msg = responseTo(resp, m.id);
  if (!msg) return { fail: `no response: ${resp.text.slice(0, 200)}` };
  if (msg.error) return { fail: `JSON-RPC error ${JSON.stringify(msg.error)}` };
  if (msg.result.isError) return { fail: `${name}: isError ${textOf(msg.result)}` };
  return { result: msg.result };
}

/**
 * Runs LOAD_CONNECTIONS concurrent callers of lookup and hello (4 sessions) until stop() — bounded by count and
 * time. trigger() runs once 20 calls have completed and a second has passed. Resolves {ok, done, failures}.
 */
async function underLoad(server, trigger) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: LOAD_CONNECTIONS });
  const sessions = [];
  for (let i = 0; i < 4; i++) sessions.push((await initSession(server, undefined, { agent })).session);
  let done = 0;
  let stop = false;
  const failures = [];
  const worker = async (w) => {
    for (let i = 0; !stop && done < LOAD_MAX_CALLS; i++) {
      const name = i % 2 ? 'hello' : 'lookup';
      let r;
      try {
        r = await toolCall(server, sessions[w % sessions.length], agent, name, name === 'lookup' ? { id: 1 + (i % 3) } : {});
      } catch (e) {
        r = { fail: `${name}: ${e.message}` };
      }
      if (r.fail) failures.push(r.fail);
      done++;
    }
  };
  const workers = Array.from({ length: LOAD_CONNECTIONS }, (_, w) => worker(w));
  try {
    // About a second of load before the trigger and one after it (~3 s per phase with the reload itself).
    const t0 = Date.now();
    while ((done < 20 || Date.now() - t0 < 1000) && Date.now() - t0 < WAIT_MS) await sleep(10);
    await trigger();
    await sleep(1000);
  } finally {
    stop = true;
    await Promise.all(workers);
    agent.destroy();
  }
  return { ok: done - failures.length, done, failures };
}

function assertNoFailures(load, what) {
  assert.deepEqual(load.failures.slice(0, 5), [], `${what}: ${load.failures.length} of ${load.done} calls failed`);
  assert.ok(load.done >= 20, `${what}: the load ran (${load.done} calls)`);
}

async function changesNow(server, session) {
  const r = await toolCall(server, session, undefined, 'changes');
  assert.equal(r.fail, undefined, r.fail);
  return r.result.structuredContent?.n ?? JSON.parse(textOf(r.result)).n;
}

before(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bulwark-reload-'));
  fs.writeFileSync(path.join(tmp, 'seed.sql'),
    "CREATE TABLE items(id INTEGER PRIMARY KEY, label TEXT);\nINSERT INTO items(label) VALUES ('one'), ('two'), ('three');\n");
});

after(async () => {
  await killAllSpawned();
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

describe('hot reload under load (SIGHUP)', () => {
  let server;
  let file;
  let pidFile;

  before(async () => {
    file = path.join(tmp, 'signal.yaml');
    pidFile = path.join(tmp, 'signal.pid');
    writeConfig(file, config());
    server = await startHttp({ bin: bulwarkBin(), argv: ['serve', '-c', file, '--listen', '127.0.0.1:0', '--pid-file', pidFile] });
  });

  after(async () => {
    await finishHttp(server);
    assert.equal(fs.existsSync(pidFile), false, 'the pid file is removed on exit');
  });

  test('a changed configuration is swapped in: zero failed calls, list_changed, tools replaced, pool kept', async (t) => {
    const s = await connectStreamable(server.url);
    const changed = collector('tools/list_changed');
    s.client.setNotificationHandler(ToolListChangedNotificationSchema, changed.handler);
    await s.waitExchange((x) => x.method === 'GET' && x.status === 200, WAIT_MS, 'the standalone GET stream');
    const { session } = await initSession(server);
    for (let i = 0; i < 3; i++) assert.equal((await toolCall(server, session, undefined, 'bump')).fail, undefined);
    const before = await changesNow(server, session);
    assert.ok(before >= 3, `total_changes() counts the bumps (${before})`);

    const n = events(server.stderr, RELOADED).length;
    let ev;
    const load = await underLoad(server, async () => {
      writeConfig(file, config({ greeting: 'howdy', v2: true }));
      process.kill(server.pid, 'SIGHUP');
      ev = await waitEvent(server, RELOADED, n, 'the reloaded line');
    });
    assertNoFailures(load, 'SIGHUP with a changed configuration');
    t.diagnostic(`${load.done} calls under load, none failed`);
    const { ts, ...rest } = ev;
    assert.deepEqual(rest, { level: 'info', msg: 'config_reloaded', file, tools: 5, resources: 0, prompts: 0,
      databases_kept: 2, databases_opened: 0 });

    await changed.waitCount(1);
    const names = (await s.client.listTools({}, REQ_OPTS)).tools.map((t) => t.name).sort();
    assert.deepEqual(names, ['bump', 'changes', 'hello', 'lookup', 'new_tool']);
    assert.equal(textOf((await s.client.callTool({ name: 'new_tool', arguments: {} }, undefined, REQ_OPTS))).trim(), 'new');
    assert.equal(textOf((await s.client.callTool({ name: 'hello', arguments: {} }, undefined, REQ_OPTS))).trim(), 'howdy');
    const gone = await s.client.callTool({ name: 'old_tool', arguments: {} }, undefined, REQ_OPTS).then(
      (r) => `result ${JSON.stringify(r)}`, (e) => String(e));
    assert.match(gone, /Unknown tool: old_tool/);
    assert.equal(await changesNow(server, session), before, 'the unchanged database kept its connection');
    s.assertNoErrors();
    await s.close();
  });

  test('broken configurations (YAML error, schema error) keep the old one serving: zero failed calls', async (t) => {
    const yaml = config({ greeting: 'broken' }) + 'tools: [\n';
    const schema = config({ greeting: 'broken' }).replace('pool: {min: 1, max: 4}', 'pool: {min: 1, max: "many"}');
    const schemaLine = schema.split('\n')[lineOf(schema, 'max: "many"') - 1];
    const cases = [
      // The YAML parser stops at the unclosed flow sequence: at its line or at the end of the file after it.
      { what: 'YAML error', text: yaml, match: (e) => e.line >= lineOf(yaml, 'tools: [') && /YAML/.test(e.message) },
      { what: 'schema error', text: schema,
        match: (e) => e.line === lineOf(schema, 'max: "many"') && e.col === schemaLine.indexOf('"many"') + 1 && /max/.test(e.message) },
    ];
    for (const c of cases) {
      const n = events(server.stderr, FAILED).length;
      let ev;
      const load = await underLoad(server, async () => {
        writeConfig(file, c.text);
        process.kill(server.pid, 'SIGHUP');
        ev = await waitEvent(server, FAILED, n, `the failure line (${c.what})`);
      });
      assertNoFailures(load, `SIGHUP with a ${c.what}`);
      t.diagnostic(`${c.what}: ${load.done} calls under load, none failed`);
      assert.equal(ev.level, 'error');
      assert.equal(ev.file, file);
      assert.equal(ev.serving, 'previous configuration');
      assert.ok(Array.isArray(ev.errors) && ev.errors.length >= 1, JSON.stringify(ev));
      for (const e of ev.errors) {
        assert.equal(e.file, file, JSON.stringify(e));
        assert.ok(Number.isInteger(e.line) && e.line >= 1 && Number.isInteger(e.col) && e.col >= 1, JSON.stringify(e));
        assert.equal(typeof e.message, 'string');
      }
      assert.ok(ev.errors.some(c.match), `${c.what}: the error at its FILE:LINE:COL: ${JSON.stringify(ev.errors)}`);
      assert.equal(ev.errors_omitted, undefined);
      const { session } = await initSession(server);
      const r = await toolCall(server, session, undefined, 'hello');
      assert.equal(textOf(r.result).trim(), 'howdy', `${c.what}: the previous configuration still answers`);
      assert.equal((await toolCall(server, session, undefined, 'new_tool')).fail, undefined);
    }
  });

  test('a database whose settings changed is reopened (a new connection)', async () => {
    const { session } = await initSession(server);
    assert.ok((await changesNow(server, session)) >= 3);
    const n = events(server.stderr, RELOADED).length;
    writeConfig(file, config({ greeting: 'howdy', v2: true, markerBusyMs: 1000 }));
    process.kill(server.pid, 'SIGHUP');
    const ev = await waitEvent(server, RELOADED, n, 'the reloaded line');
    assert.deepEqual([ev.file, ev.tools, ev.resources, ev.prompts, ev.databases_kept, ev.databases_opened],
      [file, 5, 0, 0, 1, 1]);
    assert.equal(await changesNow(server, session), 0, 'the new connection has made no change yet');
  });

  test('every stderr line of the reloading server is a JSON log line (one schema)', () => {
    assert.ok(events(server.stderr, RELOADED).length >= 2 && events(server.stderr, FAILED).length >= 2);
    assertAllJson(server.stderr);
  });
});

describe('bulwark reload and the pid file', () => {
  test('bulwark reload --pid-file F makes the server reload; a missing pid file is exit 1', async () => {
    const file = path.join(tmp, 'cli.yaml');
    const pidFile = path.join(tmp, 'cli.pid');
    writeConfig(file, config());
    const server = await startHttp({ bin: bulwarkBin(), argv: ['serve', '-c', file, '--listen', '127.0.0.1:0', '--pid-file', pidFile] });
    try {
      assert.equal(fs.readFileSync(pidFile, 'utf8'), `${server.pid}\n`);
      assert.equal(fs.statSync(pidFile).mode & 0o777, 0o644);
      writeConfig(file, config({ v2: true }));
      const n = events(server.stderr, RELOADED).length;
      const r = await runCommand(bulwarkBin(), ['reload', '--pid-file', pidFile]);
      assert.equal(r.code, 0, r.stderr);
      const ev = await waitEvent(server, RELOADED, n, 'the reloaded line');
      assert.equal(ev.tools, 5);
      const { session } = await initSession(server);
      assert.equal(textOf((await toolCall(server, session, undefined, 'new_tool')).result).trim(), 'new');

      const missing = await runCommand(bulwarkBin(), ['reload', '--pid-file', path.join(tmp, 'nope.pid')]);
      assert.equal(missing.code, 1);
      assert.match(missing.stderr, /bulwark reload: cannot read the pid file .*nope\.pid: No such file or directory/);
      const usage = await runCommand(bulwarkBin(), ['reload']);
      assert.equal(usage.code, 2);
    } finally {
      await finishHttp(server);
    }
    assert.equal(fs.existsSync(pidFile), false, 'the pid file is removed on exit');
  });

  test('SIGHUP never kills a server without a configuration file', async () => {
    const server = await startHttp({ bin: bulwarkBin(), argv: ['serve', '--listen', '127.0.0.1:0'] });
    try {
      process.kill(server.pid, 'SIGHUP');
      await sleep(200);
      const { session } = await initSession(server);
      assert.ok(session);
      assert.ok(server.running);
    } finally {
      await finishHttp(server);
    }
  });
});

describe('reliability.reload.watch', () => {
  test('a rewrite of the file is picked up without a signal', async (t) => {
    const file = path.join(tmp, 'watch.yaml');
    const watch = 'reliability:\n  reload:\n    watch: true\n';
    writeConfig(file, config({ extra: watch }));
    const probe = await runCommand(bulwarkBin(), ['check', '-c', file]);
    if (/unknown key 'reliability'/.test(probe.stderr)) {
      t.skip('the configuration schema has no `reliability` section yet');
      return;
    }
    const server = await startHttp({ bin: bulwarkBin(), argv: ['serve', '-c', file, '--listen', '127.0.0.1:0'] });
    try {
      const n = events(server.stderr, RELOADED).length;
      writeConfig(file, config({ extra: watch, v2: true }));
      await waitEvent(server, RELOADED, n, 'the reloaded line after the file changed');
      const { session } = await initSession(server);
      assert.equal(textOf((await toolCall(server, session, undefined, 'new_tool')).result).trim(), 'new');
      // An in-place rewrite (no rename) counts too.
      const m = events(server.stderr, RELOADED).length;
      fs.writeFileSync(file, config({ extra: watch, greeting: 'watched', v2: true }));
      await waitEvent(server, RELOADED, m, 'the reloaded line after an in-place write');
      assert.equal(textOf((await toolCall(server, session, undefined, 'hello')).result).trim(), 'watched');
    } finally {
      await finishHttp(server);
    }
  });
});

describe('the reload log lines', () => {
  /** exec tools only; `version` and `docs` (a file resource larger than its max_file_bytes: a warning) vary. */
  const simple = ({ version = '1', docs = false, broken = false } = {}) => `server:
  name: reload-log
  version: "${version}"
${docs ? `resources:
  - uri: kb://notes
    max_file_bytes: 4
    file: notes.txt
` : ''}tools:
  - name: hello
    exec: {command: ${broken ? '42' : 'echo'}, args: ["hi"]}
`;
  const escapeRe = (s) => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');

  test('warnings with their position, the sections that need a restart, then config_reloaded', async () => {
    const file = path.join(tmp, 'lines.yaml');
    fs.writeFileSync(path.join(tmp, 'notes.txt'), 'more than four bytes\n');
    writeConfig(file, simple());
    const server = await startHttp({ bin: bulwarkBin(), argv: ['serve', '-c', file, '--listen', '127.0.0.1:0'] });
    try {
      const text = simple({ version: '2', docs: true });
      writeConfig(file, text);
      process.kill(server.pid, 'SIGHUP');
      const done = await waitEvent(server, RELOADED, 0, 'the reloaded line');
      assert.deepEqual([done.tools, done.resources, done.prompts], [1, 1, 0]);
      const [warning] = events(server.stderr, 'config_warning');
      const fileLine = text.split('\n')[lineOf(text, 'file: notes.txt') - 1];
      assert.deepEqual(warning && { ...warning, ts: undefined }, {
        ts: undefined, level: 'warn', msg: 'config_warning', file, line: lineOf(text, 'file: notes.txt'),
        col: fileLine.indexOf('notes.txt') + 1,
        message: `file '${path.join(tmp, 'notes.txt')}' is larger than max_file_bytes (4 bytes): reading it will fail`,
      });
      const [restart] = events(server.stderr, 'config_restart_needed');
      assert.equal(restart?.level, 'warn');
      assert.equal(restart.file, file);
      assert.deepEqual(restart.sections, ['server']);
      const order = completeLines(server.stderr).map((l) => JSON.parse(l).msg).filter((m) => m.startsWith('config_'));
      assert.deepEqual(order, ['config_warning', 'config_restart_needed', 'config_reloaded']);
      assertAllJson(server.stderr);
    } finally {
      await finishHttp(server);
    }
  });

  test('many errors: the line stays one valid JSON object, the ones that do not fit are counted', async () => {
    const file = path.join(tmp, 'many.yaml');
    writeConfig(file, simple());
    const server = await startHttp({ bin: bulwarkBin(), argv: ['serve', '-c', file, '--listen', '127.0.0.1:0'] });
    try {
      // 90 unknown keys of 60 characters: ~25 KiB of errors (each names the expected keys too), more than one log
      // line (16 KiB) holds.
      const keys = Array.from({ length: 90 }, (_, i) => `    k${String(i).padStart(2, '0')}${'x'.repeat(57)}: 1\n`).join('');
      writeConfig(file, simple().replace('    exec:', `${keys}    exec:`));
      const check = await runCommand(bulwarkBin(), ['check', '-c', file]);
      const total = (check.stderr.match(/^[^\n]*many\.yaml:\d+:\d+: [^\n]*$/gm) ?? []).length;
      assert.ok(total >= 90, `bulwark check reports every unknown key (${total})`);
      process.kill(server.pid, 'SIGHUP');
      const ev = await waitEvent(server, FAILED, 0, 'the failure line');
      const line = completeLines(server.stderr).find((l) => l.includes('"config_reload_failed"'));
      assert.ok(Buffer.byteLength(line) < 16384, `at most 16 KiB (${Buffer.byteLength(line)})`);
      assert.ok(Array.isArray(ev.errors) && ev.errors.length >= 1, 'errors stays an array');
      assert.ok(ev.errors_omitted > 0, `some did not fit: ${ev.errors.length} kept`);
      assert.equal(ev.errors.length + ev.errors_omitted, total, 'kept + omitted = every error');
      const lines = ev.errors.map((e) => e.line);
      assert.deepEqual(lines, [...lines].sort((a, b) => a - b), 'the first ones, in file order');
      assert.ok(ev.errors.every((e) => e.file === file && e.line >= 5 && e.col >= 1));
    } finally {
      await finishHttp(server);
    }
  });

  test('--log-format text: one readable line per event, the errors still with file, line and col', async () => {
    const file = path.join(tmp, 'text.yaml');
    writeConfig(file, simple());
    const server = await startHttp({ bin: bulwarkBin(), argv: ['serve', '-c', file, '--listen', '127.0.0.1:0', '--log-format', 'text'] });
    const f = escapeRe(file);
    const waitLine = async (re, what) => {
      const t0 = Date.now();
      for (;;) {
        const m = completeLines(server.stderr).map((l) => re.exec(l)).find(Boolean);
        if (m) return m;
        if (Date.now() - t0 > WAIT_MS) throw new Error(`timed out waiting for ${what}; stderr:\n${server.stderr.slice(-3000)}`);
        await sleep(20);
      }
    };
    try {
      const bad = simple({ broken: true });
      writeConfig(file, bad);
      process.kill(server.pid, 'SIGHUP');
      const m = await waitLine(new RegExp(`^\\S+ ERROR config_reload_failed file=${f} serving="previous configuration" errors=(\\[.*\\])$`),
        'the text failure line');
      const errors = JSON.parse(m[1]);
      const cmdLine = bad.split('\n')[lineOf(bad, 'command: 42') - 1];
      assert.deepEqual(errors, [{ file, line: lineOf(bad, 'command: 42'), col: cmdLine.indexOf('42') + 1,
        message: 'tools[0].exec.command: expected string, got integer' }]);

      writeConfig(file, simple({ version: '3' }));
      process.kill(server.pid, 'SIGHUP');
      await waitLine(new RegExp(`^\\S+ WARN config_restart_needed file=${f} sections=\\["server"\\] kept="[^"]+"$`), 'the restart line');
      await waitLine(new RegExp(`^\\S+ INFO config_reloaded file=${f} tools=1 resources=0 prompts=0 databases_kept=0 databases_opened=0$`),
        'the text reloaded line');
      for (const l of completeLines(server.stderr)) assert.equal(parseLogLine(l).format, 'text', l);
    } finally {
      await finishHttp(server);
    }
  });
});
