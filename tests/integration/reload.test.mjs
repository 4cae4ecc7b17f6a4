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
//    answer, and stderr has "reload of FILE failed; still serving the previous configuration:" plus the
//    FILE:LINE:COL lines;
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
import { startHttp, finishHttp, initSession, post, req, responseTo, textOf, sleep } from '../lib/http.mjs';
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

function countMatches(text, re) {
  return (text.match(new RegExp(re.source, 'g')) ?? []).length;
}

/** Wait (bounded) until stderr holds more than `before` matches of re; returns the stderr. */
async function waitLog(server, re, before, what) {
  const t0 = Date.now();
  while (countMatches(server.stderr, re) <= before) {
    if (Date.now() - t0 > WAIT_MS) throw new Error(`timed out waiting for ${what}; stderr:\n${server.stderr.slice(-3000)}`);
    if (!server.running) throw new Error(`server exited while waiting for ${what}; stderr:\n${server.stderr.slice(-3000)}`);
    await sleep(20);
  }
  return server.stderr;
}

const RELOADED = /bulwark: reloaded [^\n]*\n/;
const FAILED = /bulwark: reload of [^\n]* failed; still serving the previous configuration:\n/;

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

    const n = countMatches(server.stderr, RELOADED);
    const load = await underLoad(server, async () => {
      writeConfig(file, config({ greeting: 'howdy', v2: true }));
      process.kill(server.pid, 'SIGHUP');
      await waitLog(server, RELOADED, n, 'the reloaded line');
    });
    assertNoFailures(load, 'SIGHUP with a changed configuration');
    t.diagnostic(`${load.done} calls under load, none failed`);
    assert.match(server.stderr, /bulwark: reloaded [^\n]*signal\.yaml: 5 tools, 0 resources, 0 prompts \(2 databases kept, 0 opened\)\n/);

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
    const cases = [
      { what: 'YAML error', text: config({ greeting: 'broken' }) + 'tools: [\n', line: /signal\.yaml:\d+:\d+: [^\n]+\n/ },
      { what: 'schema error', text: config({ greeting: 'broken' }).replace('pool: {min: 1, max: 4}', 'pool: {min: 1, max: "many"}'), line: /signal\.yaml:\d+:\d+: [^\n]*max[^\n]*\n/ },
    ];
    for (const c of cases) {
      const n = countMatches(server.stderr, FAILED);
      const load = await underLoad(server, async () => {
        writeConfig(file, c.text);
        process.kill(server.pid, 'SIGHUP');
        await waitLog(server, FAILED, n, `the failure line (${c.what})`);
      });
      assertNoFailures(load, `SIGHUP with a ${c.what}`);
      t.diagnostic(`${c.what}: ${load.done} calls under load, none failed`);
      const err = server.stderr;
      const tail = err.slice(err.lastIndexOf('still serving the previous configuration:'));
      assert.match(tail, c.line, `${c.what}: the FILE:LINE:COL error line follows`);
      const { session } = await initSession(server);
      const r = await toolCall(server, session, undefined, 'hello');
      assert.equal(textOf(r.result).trim(), 'howdy', `${c.what}: the previous configuration still answers`);
      assert.equal((await toolCall(server, session, undefined, 'new_tool')).fail, undefined);
    }
  });

  test('a database whose settings changed is reopened (a new connection)', async () => {
    const { session } = await initSession(server);
    assert.ok((await changesNow(server, session)) >= 3);
    const n = countMatches(server.stderr, RELOADED);
    writeConfig(file, config({ greeting: 'howdy', v2: true, markerBusyMs: 1000 }));
    process.kill(server.pid, 'SIGHUP');
    const err = await waitLog(server, RELOADED, n, 'the reloaded line');
    assert.match(err, /signal\.yaml: 5 tools, 0 resources, 0 prompts \(1 databases kept, 1 opened\)\n/);
    assert.equal(await changesNow(server, session), 0, 'the new connection has made no change yet');
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
      const n = countMatches(server.stderr, RELOADED);
      const r = await runCommand(bulwarkBin(), ['reload', '--pid-file', pidFile]);
      assert.equal(r.code, 0, r.stderr);
      await waitLog(server, RELOADED, n, 'the reloaded line');
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
      const n = countMatches(server.stderr, RELOADED);
      writeConfig(file, config({ extra: watch, v2: true }));
      await waitLog(server, RELOADED, n, 'the reloaded line after the file changed');
      const { session } = await initSession(server);
      assert.equal(textOf((await toolCall(server, session, undefined, 'new_tool')).result).trim(), 'new');
      // An in-place rewrite (no rename) counts too.
      const m = countMatches(server.stderr, RELOADED);
      fs.writeFileSync(file, config({ extra: watch, greeting: 'watched', v2: true }));
      await waitLog(server, RELOADED, m, 'the reloaded line after an in-place write');
      assert.equal(textOf((await toolCall(server, session, undefined, 'hello')).result).trim(), 'watched');
    } finally {
      await finishHttp(server);
    }
  });
});
