// Retries end to end (issue 6, "Retries"): a failing call is repeated only when the tool may be repeated
// (readOnlyHint or idempotentHint, or retry mode `always`) and the failure is retryable (exec exit 75, HTTP 5xx,
// a timed-out attempt), never a side-effecting tool (the counter file says 1) nor a permanent failure; the delays
// follow exponential backoff with full jitter (each gap is at most base * 2^(n-1), so with base 100 the gaps are
// ≤ 100, ≤ 200, ≤ 400 ms plus the time to spawn the script); the final result says _meta io.bulwark/attempts.
//
// Gap margin: GAP_SLACK_MS (150 ms on the normal build, + SLACK_MS under ASan) covers one fork/exec of the script
// and its `date`, measured between the start of successive attempts.

import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { killAllSpawned, finish } from '../lib/raw-stdio.mjs';
import { startFaultServer } from '../lib/fault_server.mjs';
import {
  FAULTS, SLACK_MS, makeTmp, rmTmp, writeConfig, assertConfigValid, serveStdio, callResult, assertToolError,
  assertToolOk, bwMeta, readCount, texts, show, gone, eventually, reap, lines,
} from '../lib/reliability.mjs';

const GAP_SLACK_MS = 150 + SLACK_MS;
let tmp;
let fault;
let c;

// Each exec tool gets its own counter directory (tmp/<tool>) and its own dependency (so no breaker is shared between
// tests: one tool's failures cannot open another's circuit).
function flaky(name, fails, { annotations, policy = '', code = 75, exec = '' } = {}) {
  return `
  - name: ${name}
    exec: {command: ${FAULTS}/flaky.sh, args: ["${tmp}/${name}", "${fails}", "${code}"]${exec}}
    ${annotations ? `annotations: ${annotations}` : ''}
    policy: {dependency: "exec:${name}"${policy ? `, ${policy}` : ''}}`;
}

function config() {
  return `
reliability:
  defaults:
    retry: {max_attempts: 3, base_delay_ms: 100, max_delay_ms: 2000}
tools:
${flaky('read_flaky', 3, { annotations: '{readOnlyHint: true}',
    policy: 'retry: {max_attempts: 4, base_delay_ms: 100, max_delay_ms: 2000}' })}
${flaky('write_flaky', 1)}
${flaky('idem_flaky', 1, { annotations: '{idempotentHint: true}' })}
${flaky('destructive_idem', 1, { annotations: '{readOnlyHint: false, destructiveHint: true, idempotentHint: true}' })}
${flaky('forced', 1, { policy: 'retry: {mode: always}' })}
${flaky('never', 1, { annotations: '{readOnlyHint: true}', policy: 'retry: {mode: never}' })}
${flaky('permanent', 1, { annotations: '{readOnlyHint: true}', code: 3 })}
${flaky('exhausted', 10, { annotations: '{readOnlyHint: true}' })}
${flaky('custom_code', 1, { annotations: '{readOnlyHint: true}', code: 42, exec: ', transient_exit_codes: [42]' })}
${flaky('not_custom', 1, { annotations: '{readOnlyHint: true}', code: 75, exec: ', transient_exit_codes: [42]' })}
  - name: hang_once
    annotations: {readOnlyHint: true}
    exec: {command: ${FAULTS}/hang_once.sh, args: ["${tmp}/hang_once"], kill_grace_ms: 100}
    policy: {deadline_ms: 5000, retry: {max_attempts: 2, base_delay_ms: 10, attempt_timeout_ms: 400}}
  - name: http_read
    annotations: {readOnlyHint: true}
    http: {url: "${fault.base}/read"}
  - name: http_missing
    annotations: {readOnlyHint: true}
    http: {url: "${fault.base}/missing"}
  - name: http_write
    http: {method: POST, url: "${fault.base}/write", body: {}}
`;
}

before(async () => {
  tmp = makeTmp('retry');
  for (const d of ['read_flaky', 'write_flaky', 'idem_flaky', 'destructive_idem', 'forced', 'never', 'permanent',
    'exhausted', 'hang_once', 'custom_code', 'not_custom']) fs.mkdirSync(path.join(tmp, d));
  fault = await startFaultServer();
  const file = writeConfig(tmp, config());
  await assertConfigValid(file);
  c = await serveStdio(file);
});

after(async () => {
  await finish(c);
  await fault?.close();
  rmTmp(tmp);
});
after(killAllSpawned);

const dir = (name) => path.join(tmp, name);

describe('retries', () => {
  test('a read-only tool failing 3 times succeeds on attempt 4, with capped exponential gaps', async (t) => {
    const r = await callResult(c, 'read_flaky');
    assertToolOk(r);
    assert.deepEqual(texts(r), ['ok after 4\n'], show(r));
    assert.equal(bwMeta(r, 'attempts'), 4, `_meta io.bulwark/attempts: ${show(r)}`);
    assert.equal(readCount(dir('read_flaky')), 4, 'the script ran 4 times');
    const times = lines(path.join(dir('read_flaky'), 'times')).map(Number);
    const gaps = times.slice(1).map((x, i) => x - times[i]);
    t.diagnostic(`gaps between attempts (ms): ${gaps.join(', ')}`);
    const caps = [100, 200, 400];
    gaps.forEach((g, i) => {
      assert.ok(g >= 0, `gap ${i + 1} is not negative (${g})`);
      assert.ok(g <= caps[i] + GAP_SLACK_MS, `gap ${i + 1} ≤ ${caps[i]} + ${GAP_SLACK_MS} ms: ${gaps.join(', ')}`);
    });
  });

  test('a tool without readOnlyHint/idempotentHint is called exactly once', async () => {
    const r = await callResult(c, 'write_flaky');
    assertToolError(r, /^exit status 75: attempt 1 failed/);
    assert.equal(bwMeta(r, 'attempts'), undefined, `no attempts _meta for a single attempt: ${show(r)}`);
    assert.equal(readCount(dir('write_flaky')), 1, 'the side effect ran once');
  });

  test('idempotentHint makes a tool retryable', async () => {
    const r = await callResult(c, 'idem_flaky');
    assertToolOk(r);
    assert.deepEqual(texts(r), ['ok after 2\n'], show(r));
    assert.equal(bwMeta(r, 'attempts'), 2, show(r));
    assert.equal(readCount(dir('idem_flaky')), 2);
  });

  test('idempotentHint with readOnlyHint false (a destructive but idempotent tool) is retried', async () => {
    const r = await callResult(c, 'destructive_idem');
    assertToolOk(r);
    assert.equal(bwMeta(r, 'attempts'), 2, show(r));
    assert.equal(readCount(dir('destructive_idem')), 2);
  });

  test('retry mode always retries a non-annotated tool', async () => {
    const r = await callResult(c, 'forced');
    assertToolOk(r);
    assert.equal(bwMeta(r, 'attempts'), 2, show(r));
    assert.equal(readCount(dir('forced')), 2);
  });

  test('retry mode never keeps a read-only tool to one attempt', async () => {
    const r = await callResult(c, 'never');
    assertToolError(r, /^exit status 75: /);
    assert.equal(readCount(dir('never')), 1);
  });

  test('a permanent failure (exit 3, not a transient code) is not retried', async () => {
    const r = await callResult(c, 'permanent');
    assertToolError(r, /^exit status 3: attempt 1 failed/);
    assert.equal(readCount(dir('permanent')), 1);
  });

  test('retries stop at max_attempts; the last failure is returned with its attempt count', async () => {
    const r = await callResult(c, 'exhausted');
    assertToolError(r, /^exit status 75: attempt 3 failed/);
    assert.equal(bwMeta(r, 'attempts'), 3, show(r));
    assert.equal(readCount(dir('exhausted')), 3);
  });

  test('exec transient_exit_codes: the listed status is retried, 75 then is not', async () => {
    const r = await callResult(c, 'custom_code');
    assertToolOk(r);
    assert.equal(bwMeta(r, 'attempts'), 2, show(r));
    assert.equal(readCount(dir('custom_code')), 2);
    const p = await callResult(c, 'not_custom');
    assertToolError(p, /^exit status 75: /);
    assert.equal(readCount(dir('not_custom')), 1, 'with [42], exit 75 is a permanent failure');
  });

  test('a hung attempt is cut at attempt_timeout_ms, killed, and the retry answers', async () => {
    const t0 = Date.now();
    const r = await callResult(c, 'hang_once');
    const ms = Date.now() - t0;
    assertToolOk(r);
    assert.deepEqual(texts(r), ['ok on run 2\n'], show(r));
    assert.equal(bwMeta(r, 'attempts'), 2, show(r));
    assert.ok(ms >= 390, `the first attempt was given its 400 ms (${ms} ms)`);
    assert.ok(ms < 4000, `answered long before the 5 s call deadline (${ms} ms)`);
    const pid = Number(fs.readFileSync(path.join(dir('hang_once'), 'hung.pid'), 'utf8'));
    assert.ok(await eventually(() => gone(pid), 1000), `the hung first attempt (pid ${pid}) was killed`);
    reap(pid);
  });

  test('HTTP 500 from a read-only dependency is retried (3 requests), then reported', async () => {
    fault.setMode('fail');
    const n0 = fault.count;
    const r = await callResult(c, 'http_read');
    assertToolError(r, /^HTTP 500 Internal Server Error: upstream exploded/);
    assert.equal(bwMeta(r, 'attempts'), 3, show(r));
    assert.equal(fault.count - n0, 3, 'three requests reached the dependency');
  });

  test('HTTP 500 then recovery: the retry returns the fresh answer', async () => {
    fault.setMode('fail');
    const n0 = fault.count;
    // Recover as soon as the first failing request has been seen.
    const recovered = fault.waitUntil((f) => f.count > n0).then(() => fault.setMode('ok'));
    const r = await callResult(c, 'http_read');
    await recovered;
    assertToolOk(r);
    assert.equal(r.structuredContent?.ok, true, show(r));
    assert.equal(bwMeta(r, 'attempts'), fault.count - n0, show(r));
  });

  test('HTTP 404 is permanent: one request', async () => {
    fault.setMode('fail', { status: 404 });
    const n0 = fault.count;
    const r = await callResult(c, 'http_missing');
    fault.setMode('ok', { status: 500 });
    assertToolError(r, /^HTTP 404 Not Found: /);
    assert.equal(fault.count - n0, 1);
  });

  test('a POST tool without annotations is not retried on HTTP 500', async () => {
    fault.setMode('fail', { status: 500 });
    const n0 = fault.count;
    const r = await callResult(c, 'http_write');
    fault.setMode('ok');
    assertToolError(r, /^HTTP 500 /);
    assert.equal(fault.count - n0, 1, 'one POST reached the dependency');
  });
});
