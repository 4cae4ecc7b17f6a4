// Idempotency keys end to end (issue 6, "Idempotency keys"): a side-effecting exec tool that appends a line to a
// file. The first call with a key runs it; a repeat with the same key (and the same caller identity — for now
// clientInfo.name) returns the stored result with _meta io.bulwark/idempotentReplay = true without running it, also
// after bulwark restarts (the record is in the SQLite state database, reliability.state_db); the same key with other
// arguments is -32602 "Invalid params: idempotency key '<key>' was already used with different arguments"; a repeat
// while the first is still running gets isError "A call with idempotency key '<key>' is still in progress; retry
// later". The file's line count is the proof of how many times the side effect happened.

import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { killAllSpawned, finish } from '../lib/raw-stdio.mjs';
import {
  FAULTS, readPid, reap, makeTmp, rmTmp, writeConfig, assertConfigValid, serveStdio, timedCall, callResult,
  assertToolError, assertToolOk, bwMeta, show, lines, eventually, texts, readCount,
} from '../lib/reliability.mjs';

let tmp;
let file;
let c;
let out;
let slowOut;

function config() {
  return `
reliability:
  state_db: state/bulwark-state.db
tools:
  - name: append
    input_schema:
      type: object
      properties: {text: {type: string}, request_id: {type: string}}
      required: [text]
    exec: {command: ${FAULTS}/append.sh, args: ["${out}", "{{text}}"]}
    policy: {idempotency: {key_argument: request_id}}
  - name: append_meta
    input_schema: {type: object, properties: {text: {type: string}}, required: [text]}
    exec: {command: ${FAULTS}/append.sh, args: ["${out}", "{{text}}"]}
    policy: {idempotency: {key_meta: "io.example/idempotencyKey"}}
  - name: append_slow
    input_schema:
      type: object
      properties: {text: {type: string}, request_id: {type: string}}
    exec: {command: ${FAULTS}/append.sh, args: ["${slowOut}", "{{text}}", "1"]}
    policy: {idempotency: {key_argument: request_id}}
  - name: append_short_ttl
    input_schema:
      type: object
      properties: {text: {type: string}, request_id: {type: string}}
    exec: {command: ${FAULTS}/append.sh, args: ["${out}", "{{text}}"]}
    policy: {idempotency: {key_argument: request_id, ttl_ms: 200}}
  - name: flaky_keyed
    input_schema:
      type: object
      properties: {request_id: {type: [string, integer]}}
    exec: {command: ${FAULTS}/flaky.sh, args: ["${tmp}/flaky", "1"]}
    policy: {retry: {max_attempts: 1}, idempotency: {key_argument: request_id}}
  - name: hang_keyed
    input_schema:
      type: object
      properties: {pidfile: {type: string}, request_id: {type: string}}
    exec: {command: ${FAULTS}/hang.sh, args: ["{{pidfile}}"], kill_grace_ms: 100}
    policy: {deadline_ms: 300, retry: {max_attempts: 1}, idempotency: {key_argument: request_id}}
`;
}

before(async () => {
  tmp = makeTmp('idem');
  fs.mkdirSync(path.join(tmp, 'state'));
  fs.mkdirSync(path.join(tmp, 'flaky'));
  out = path.join(tmp, 'out.txt');
  slowOut = path.join(tmp, 'slow.txt');
  file = writeConfig(tmp, config());
  await assertConfigValid(file);
  c = await serveStdio(file);
});

after(async () => {
  await finish(c);
  rmTmp(tmp);
});
after(killAllSpawned);

const count = () => lines(out).length;
const DIFFERENT = (key) => `Invalid params: idempotency key '${key}' was already used with different arguments`;

function assertReplay(r, original) {
  assertToolOk(r);
  assert.deepEqual(r.content, original.content, `the stored content: ${show(r)}`);
  assert.equal(bwMeta(r, 'idempotentReplay'), true, `_meta io.bulwark/idempotentReplay: ${show(r)}`);
}

describe('idempotency keys', () => {
  let original;

  test('the first call with a key runs the tool', async () => {
    original = await callResult(c, 'append', { text: 'one', request_id: 'k1' });
    assertToolOk(original);
    assert.deepEqual(texts(original), ['appended one\n']);
    assert.equal(bwMeta(original, 'idempotentReplay'), undefined, show(original));
    assert.deepEqual(lines(out), ['one']);
  });

  test('a repeat returns the stored result without running the tool', async () => {
    const r = await callResult(c, 'append', { text: 'one', request_id: 'k1' });
    assertReplay(r, original);
    assert.equal(count(), 1, 'the side effect happened once');
  });

  test('the same key with other arguments is -32602', async () => {
    const { msg } = await timedCall(c, 'append', { text: 'two', request_id: 'k1' });
    assert.deepEqual(msg.error && { code: msg.error.code, message: msg.error.message },
      { code: -32602, message: DIFFERENT('k1') }, show(msg));
    assert.equal(count(), 1);
  });

  test('after a restart the stored result still answers (SQLite state database)', async () => {
    await finish(c); // EOF: a clean exit, status 0
    assert.ok(fs.existsSync(path.join(tmp, 'state', 'bulwark-state.db')), 'the state database is where state_db says');
    c = await serveStdio(file);
    const r = await callResult(c, 'append', { text: 'one', request_id: 'k1' });
    assertReplay(r, original);
    assert.equal(count(), 1, 'still one line after the restart');
    const { msg } = await timedCall(c, 'append', { text: 'two', request_id: 'k1' });
    assert.equal(msg.error?.code, -32602, show(msg));
    assert.equal(msg.error?.message, DIFFERENT('k1'));
  });

  test('another key, and calls without a key, run the tool', async () => {
    assertToolOk(await callResult(c, 'append', { text: 'two', request_id: 'k2' }));
    assert.equal(count(), 2);
    const a = await callResult(c, 'append', { text: 'three' });
    const b = await callResult(c, 'append', { text: 'three' });
    assert.equal(bwMeta(a, 'idempotentReplay'), undefined);
    assert.equal(bwMeta(b, 'idempotentReplay'), undefined);
    assert.equal(count(), 4, 'no key: no deduplication');
  });

  test('keys belong to a caller: another clientInfo.name with the same key runs the tool', async () => {
    const other = await serveStdio(file, 'another-client');
    try {
      const r = await callResult(other, 'append', { text: 'one', request_id: 'k1' });
      assertToolOk(r);
      assert.equal(bwMeta(r, 'idempotentReplay'), undefined, show(r));
      assert.equal(count(), 5);
      assertReplay(await callResult(other, 'append', { text: 'one', request_id: 'k1' }), r);
      assert.equal(count(), 5);
    } finally {
      await finish(other);
    }
  });

  test('the key may come from params._meta (key_meta)', async () => {
    const meta = { 'io.example/idempotencyKey': 'm1' };
    const first = await callResult(c, 'append_meta', { text: 'meta' }, meta);
    assertToolOk(first);
    assert.equal(count(), 6);
    assertReplay(await callResult(c, 'append_meta', { text: 'meta' }, meta), first);
    assert.equal(count(), 6);
  });

  test('a repeat while the first call is still running: "still in progress"', async () => {
    const first = timedCall(c, 'append_slow', { text: 'slow', request_id: 'k9' });
    assert.ok(await eventually(() => fs.existsSync(`${slowOut}.started`), 5000), 'the first call is running');
    const r = await callResult(c, 'append_slow', { text: 'slow', request_id: 'k9' });
    assertToolError(r, "A call with idempotency key 'k9' is still in progress; retry later");
    const f = await first;
    assertToolOk(f.msg.result, show(f.msg));
    assert.deepEqual(lines(slowOut), ['slow']);
    assertReplay(await callResult(c, 'append_slow', { text: 'slow', request_id: 'k9' }), f.msg.result);
    assert.deepEqual(lines(slowOut), ['slow'], 'ran once');
  });

  test('after ttl_ms a key is forgotten: the tool runs again', async () => {
    const n0 = count();
    assertToolOk(await callResult(c, 'append_short_ttl', { text: 'ttl', request_id: 't1' }));
    assertReplay(await callResult(c, 'append_short_ttl', { text: 'ttl', request_id: 't1' }),
      { content: [{ type: 'text', text: 'appended ttl\n' }] });
    await new Promise((r) => setTimeout(r, 400));
    const again = await callResult(c, 'append_short_ttl', { text: 'ttl', request_id: 't1' });
    assertToolOk(again);
    assert.equal(bwMeta(again, 'idempotentReplay'), undefined, show(again));
    assert.equal(count() - n0, 2);
  });

  test('a failed call stores nothing: a retry with its key runs again; an integer key works too', async () => {
    const first = await callResult(c, 'flaky_keyed', { request_id: 42 });
    assertToolError(first, /^exit status 75: attempt 1 failed/);
    const second = await callResult(c, 'flaky_keyed', { request_id: 42 });
    assertToolOk(second, 'the retry ran');
    assert.deepEqual(texts(second), ['ok after 2\n']);
    assert.equal(readCount(path.join(tmp, 'flaky')), 2);
    assertReplay(await callResult(c, 'flaky_keyed', { request_id: 42 }), second);
    assert.equal(readCount(path.join(tmp, 'flaky')), 2, 'the success is stored');
  });

  test('a keyed call that timed out stores nothing and does not hold its key', async () => {
    const pidfile = path.join(tmp, 'hang_keyed.pid');
    const first = await callResult(c, 'hang_keyed', { pidfile, request_id: 'h1' });
    reap(await readPid(pidfile));
    assertToolError(first, 'Tool hang_keyed timed out after 300 ms (deadline)');
    fs.rmSync(pidfile, { force: true });
    const again = await callResult(c, 'hang_keyed', { pidfile, request_id: 'h1' });
    assertToolError(again, 'Tool hang_keyed timed out after 300 ms (deadline)', 'the repeat ran (not in progress, no replay)');
    reap(await readPid(pidfile));
  });
});
