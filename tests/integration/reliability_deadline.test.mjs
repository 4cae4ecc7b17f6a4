// Deadlines end to end (issue 6, "Deadline"): a call past its deadline is answered with
// "Tool <name> timed out after <N> ms (deadline)" (isError) within deadline + 100 ms measured here in the client,
// and the slow work is really stopped: the exec process group is killed (the pid the script wrote is gone), a
// runaway SQLite statement is interrupted (the only pooled connection is free again), an HTTP transfer is aborted
// (the fault server sees its client hang up), a PostgreSQL pg_sleep is cancelled (pg_stat_activity no longer shows
// it; skipped when no PostgreSQL server binaries are installed). A client may lower the deadline with _meta
// "io.bulwark/timeoutMs" but not raise it; retries and their backoff stay inside the deadline.
//
// Timing margin: the 100 ms, plus SLACK_MS (0 on the normal build, 250 ms under ASan, where fork/exec and
// the sanitizer's allocator are several times slower); BW_RELIABILITY_SLACK_MS overrides it. The measured overshoot
// of each call is printed (t.diagnostic) for the report.

import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { killAllSpawned, finish } from '../lib/raw-stdio.mjs';
import { startFaultServer } from '../lib/fault_server.mjs';
import { havePostgres, startPostgres } from '../lib/postgres.mjs';
import {
  FAULTS, SLACK_MS, makeTmp, rmTmp, writeConfig, assertConfigValid, serveStdio, timedCall, assertToolError,
  assertToolOk, gone, eventually, readPid, reap, show, texts, readCount, bwMeta, callResult,
} from '../lib/reliability.mjs';

const LIMIT_EXTRA = 100 + SLACK_MS;
let tmp;
let fault;
let c;
const pids = [];

function config() {
  return `
databases:
  scratch:
    driver: sqlite
    path: ${tmp}/scratch.db
    pool: {min: 1, max: 1, acquire_timeout_ms: 1000}
tools:
  - name: hang
    input_schema: {type: object, properties: {pidfile: {type: string}}}
    exec: {command: ${FAULTS}/hang.sh, args: ["{{pidfile}}"], kill_grace_ms: 100}
    policy: {deadline_ms: 500, retry: {max_attempts: 1}}
  - name: stubborn
    input_schema: {type: object, properties: {pidfile: {type: string}}}
    exec: {command: ${FAULTS}/hang.sh, args: ["{{pidfile}}", ignore-term], kill_grace_ms: 1000}
    policy: {deadline_ms: 500, retry: {max_attempts: 1}}
  - name: long_hang
    input_schema: {type: object, properties: {pidfile: {type: string}}}
    exec: {command: ${FAULTS}/hang.sh, args: ["{{pidfile}}"], kill_grace_ms: 100}
    policy: {deadline_ms: 10000, retry: {max_attempts: 1}}
  - name: spin
    annotations: {readOnlyHint: true}
    sql:
      database: scratch
      statement: "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) AS n FROM c"
    policy: {deadline_ms: 500, retry: {max_attempts: 1}}
  - name: one
    annotations: {readOnlyHint: true}
    sql: {database: scratch, statement: "SELECT 1 AS one", result: row}
  - name: fetch
    annotations: {readOnlyHint: true}
    http: {url: "${fault.base}/stall"}
    policy: {deadline_ms: 500, retry: {max_attempts: 1}}
  - name: slowish
    exec: {command: ${FAULTS}/slow.sh, args: ["${tmp}", "0.3"]}
    policy: {deadline_ms: 5000, slow_ms: 100}
  - name: always_failing
    annotations: {readOnlyHint: true}
    exec: {command: ${FAULTS}/flaky.sh, args: ["${tmp}/failing", "1000"]}
    policy:
      dependency: "exec:always_failing"
      deadline_ms: 700
      retry: {max_attempts: 10, base_delay_ms: 400, max_delay_ms: 400}
`;
}

before(async () => {
  tmp = makeTmp('deadline');
  fs.mkdirSync(path.join(tmp, 'failing'));
  fault = await startFaultServer();
  fault.setMode('stall');
  const file = writeConfig(tmp, config());
  await assertConfigValid(file);
  c = await serveStdio(file);
});

after(async () => {
  for (const pid of pids) reap(pid);
  await finish(c);
  await fault?.close();
  rmTmp(tmp);
});
after(killAllSpawned);

function assertTimedOut(t, name, deadline, msg, ms) {
  t.diagnostic(`${name}: answered after ${ms} ms for a ${deadline} ms deadline (overshoot ${ms - deadline} ms)`);
  assert.ok('result' in msg, `a tool result, not a JSON-RPC error: ${show(msg)}`);
  assertToolError(msg.result, `Tool ${name} timed out after ${deadline} ms (deadline)`);
  assert.ok(ms >= deadline - 5, `not answered before the deadline (${ms} ms)`);
  assert.ok(ms <= deadline + LIMIT_EXTRA, `answered within deadline + ${LIMIT_EXTRA} ms: took ${ms} ms`);
}

describe('deadlines', () => {
  test('an exec tool past its deadline: timeout error in time, its process is killed', async (t) => {
    const pidfile = path.join(tmp, 'hang.pid');
    const { msg, ms } = await timedCall(c, 'hang', { pidfile });
    const pid = await readPid(pidfile);
    pids.push(pid);
    assertTimedOut(t, 'hang', 500, msg, ms);
    assert.ok(await eventually(() => gone(pid), 1000), `the script (pid ${pid}) is gone after the answer`);
  });

  test('a program that ignores SIGTERM: the answer does not wait for the kill grace; SIGKILL follows', async (t) => {
    const pidfile = path.join(tmp, 'stubborn.pid');
    const { msg, ms } = await timedCall(c, 'stubborn', { pidfile });
    const pid = await readPid(pidfile);
    pids.push(pid);
    assertTimedOut(t, 'stubborn', 500, msg, ms);
    assert.ok(await eventually(() => gone(pid), 3000), `pid ${pid} is gone within the 1 s kill grace (+ margin)`);
  });

  test('the client lowers the deadline with _meta io.bulwark/timeoutMs', async (t) => {
    const pidfile = path.join(tmp, 'client.pid');
    const { msg, ms } = await timedCall(c, 'long_hang', { pidfile }, { 'io.bulwark/timeoutMs': 300 });
    const pid = await readPid(pidfile);
    pids.push(pid);
    assertTimedOut(t, 'long_hang', 300, msg, ms);
    assert.ok(await eventually(() => gone(pid), 1000), `the script (pid ${pid}) is gone after the answer`);
  });

  test('a client cannot raise the deadline: _meta io.bulwark/timeoutMs above the tool\'s is capped by it', async (t) => {
    const pidfile = path.join(tmp, 'raise.pid');
    const { msg, ms } = await timedCall(c, 'hang', { pidfile }, { 'io.bulwark/timeoutMs': 5000 });
    pids.push(await readPid(pidfile));
    assertTimedOut(t, 'hang', 500, msg, ms);
  });

  test('retries never outlive the call: backoff stops at the deadline', async (t) => {
    const { msg, ms } = await timedCall(c, 'always_failing', {});
    t.diagnostic(`always_failing: ${readCount(path.join(tmp, 'failing'))} attempts, answered after ${ms} ms ` +
      `(deadline 700): ${show(msg.result)}`);
    assert.ok('result' in msg, show(msg));
    assert.equal(msg.result.isError, true, show(msg));
    assert.ok(ms <= 700 + LIMIT_EXTRA, `answered within deadline + ${LIMIT_EXTRA} ms: took ${ms} ms`);
    assert.ok(readCount(path.join(tmp, 'failing')) < 10, 'fewer than max_attempts: the deadline came first');
    const attempts = bwMeta(msg.result, 'attempts');
    if (attempts !== undefined) assert.equal(attempts, readCount(path.join(tmp, 'failing')), show(msg.result));
  });

  test('a runaway SQLite statement is interrupted: the single pooled connection serves the next call', async (t) => {
    const { msg, ms } = await timedCall(c, 'spin', {});
    assertTimedOut(t, 'spin', 500, msg, ms);
    // pool max 1 and acquire_timeout_ms 1000: were the recursive CTE still running, this call could not get the
    // connection and would fail with an acquire timeout.
    const next = await timedCall(c, 'one', {});
    assert.ok('result' in next.msg, show(next.msg));
    assertToolOk(next.msg.result, 'SELECT 1 after the interrupted statement');
    assert.deepEqual(next.msg.result.structuredContent, { one: 1 }, show(next.msg.result));
  });

  test('an HTTP call to a stalled dependency: timeout error in time, the transfer is aborted', async (t) => {
    const before = fault.count;
    const { msg, ms } = await timedCall(c, 'fetch', {});
    assertTimedOut(t, 'fetch', 500, msg, ms);
    assert.equal(fault.count, before + 1, 'one request reached the stalled server (no retry: max_attempts 1)');
    const t0 = Date.now();
    await fault.waitUntil((f) => f.aborted.length >= 1, 2000, 'the stalled request to be abandoned by bulwark');
    t.diagnostic(`fetch: the fault server saw the connection closed ${Date.now() - t0} ms after the answer`);
  });

  test('a call slower than slow_ms (but within its deadline) succeeds and is logged as slow', async () => {
    const { msg } = await timedCall(c, 'slowish', {});
    assert.ok('result' in msg, show(msg));
    assertToolOk(msg.result);
    assert.deepEqual(texts(msg.result), ['slept 0.3\n']);
    // One structured warn line (JSON on stderr, the default log format) with the tool, the time and the threshold.
    const slowLine = () => c.stderr.split('\n').map((l) => {
      try {
        return JSON.parse(l);
      } catch {
        return undefined;
      }
    }).find((j) => j?.msg === 'slow_call' && j.tool === 'slowish');
    assert.ok(await eventually(() => slowLine() !== undefined, 1000), `the slow-call line on stderr: ${c.stderr.slice(-800)}`);
    const j = slowLine();
    assert.equal(j.level, 'warn');
    assert.equal(j.threshold_ms, 100);
    assert.ok(j.duration_ms >= 300, `it says how long the call took: ${JSON.stringify(j)}`);
    assert.match(j.trace_id, /^[0-9a-f]{32}$/);
  });
});

describe('deadlines on PostgreSQL', { skip: havePostgres() ? false : 'no PostgreSQL server binaries' }, () => {
  let pg;
  let pc;

  before(async () => {
    pg = await startPostgres();
    const file = writeConfig(tmp, `
databases:
  pg:
    driver: postgres
    conninfo: "${pg.conninfo}"
    pool: {min: 0, max: 4}
tools:
  - name: pg_slow
    annotations: {readOnlyHint: true}
    sql: {database: pg, statement: "SELECT pg_sleep(30) AS slept"}
    policy: {deadline_ms: 700, retry: {max_attempts: 1}}
  - name: pg_sleepers
    annotations: {readOnlyHint: true}
    sql:
      database: pg
      statement: >-
        SELECT count(*)::int AS n FROM pg_stat_activity
        WHERE state = 'active' AND query LIKE 'SELECT pg_sleep(30)%'
      result: row
`, 'pg.yaml');
    await assertConfigValid(file);
    pc = await serveStdio(file);
  });

  after(async () => {
    await finish(pc);
    await pg?.close();
  });

  const sleepers = async () => (await callResult(pc, 'pg_sleepers')).structuredContent?.n;

  test('pg_sleep past the deadline: timeout error in time, the backend query is cancelled', async (t) => {
    const pending = timedCall(pc, 'pg_slow', {});
    // The query is visible in pg_stat_activity while it runs (this proves the probe below can see it)...
    assert.ok(await (async () => {
      for (let i = 0; i < 50; i++) {
        if (await sleepers() === 1) return true;
        await new Promise((r) => setTimeout(r, 10));
      }
      return false;
    })(), 'pg_sleep(30) shows in pg_stat_activity while the call runs');
    const { msg, ms } = await pending;
    assertTimedOut(t, 'pg_slow', 700, msg, ms);
    // ...and gone right after the answer.
    let n;
    for (let i = 0; i < 50 && (n = await sleepers()) !== 0; i++) await new Promise((r) => setTimeout(r, 20));
    assert.equal(n, 0, 'no pg_sleep left in pg_stat_activity after the timeout answer');
  });
});
