// Fallback tools end to end (issue 6, "Configurable alternate fallback"): when a tool fails after its retries (or its
// breaker is open) and no stale result exists, the tool named by policy.fallback runs with the same arguments and
// its result answers, marked _meta io.bulwark/fallback = "<fallback tool name>"; a stale result wins over the
// fallback; a primary that succeeds never runs the fallback.

import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { killAllSpawned, finish, runCommand, bulwarkBin } from '../lib/raw-stdio.mjs';
import {
  FAULTS, makeTmp, rmTmp, writeConfig, assertConfigValid, serveStdio, callResult, assertToolOk, bwMeta, show, sleep,
  lines, texts,
} from '../lib/reliability.mjs';

let tmp;
let c;

function config() {
  return `
reliability:
  dependencies:
    "exec:primary":
      breaker: {failure_threshold: 2, failure_rate: 1.0, min_calls: 1000, open_ms: 60000}
    "exec:cached_primary":
      breaker: {failure_threshold: -1}
tools:
  - name: primary
    annotations: {readOnlyHint: true}
    input_schema: {type: object, properties: {k: {type: string}}}
    exec: {command: ${FAULTS}/dep.sh, args: ["${tmp}/primary", "{{k}}"]}
    policy: {dependency: "exec:primary", fallback: simple, retry: {max_attempts: 2, base_delay_ms: 10}}
  - name: cached_primary
    annotations: {readOnlyHint: true}
    input_schema: {type: object, properties: {k: {type: string}}}
    exec: {command: ${FAULTS}/dep.sh, args: ["${tmp}/cached_primary", "{{k}}"]}
    policy:
      dependency: "exec:cached_primary"
      fallback: simple
      retry: {max_attempts: 1}
      cache: {ttl_ms: 1, max_stale_ms: 60000}
  - name: also_failing
    annotations: {readOnlyHint: true}
    input_schema: {type: object, properties: {k: {type: string}}}
    exec: {command: ${FAULTS}/dep.sh, args: ["${tmp}/also_failing", "{{k}}"]}
    policy: {dependency: "exec:also_failing", fallback: broken_fallback, retry: {max_attempts: 1}}
  - name: broken_fallback
    annotations: {readOnlyHint: true}
    input_schema: {type: object, properties: {k: {type: string}}}
    exec: {command: ${FAULTS}/dep.sh, args: ["${tmp}/broken_fallback", "{{k}}"]}
    policy: {dependency: "exec:broken_fallback"}
  - name: simple
    annotations: {readOnlyHint: true}
    input_schema: {type: object, properties: {k: {type: string}}}
    exec: {command: ${FAULTS}/dep.sh, args: ["${tmp}/simple", "{{k}}"]}
    policy: {dependency: "exec:simple"}
`;
}

before(async () => {
  tmp = makeTmp('fallback');
  for (const d of ['primary', 'cached_primary', 'simple', 'also_failing', 'broken_fallback']) {
    fs.mkdirSync(path.join(tmp, d));
  }
  setDep('also_failing', 'fail');
  setDep('broken_fallback', 'perm');
  setDep('primary', 'ok', 'primary');
  setDep('cached_primary', 'ok', 'cached');
  setDep('simple', 'ok', 'simple');
  const file = writeConfig(tmp, config());
  await assertConfigValid(file);
  c = await serveStdio(file);
});

after(async () => {
  await finish(c);
  rmTmp(tmp);
});
after(killAllSpawned);

function setDep(name, mode, value) {
  fs.writeFileSync(path.join(tmp, name, 'mode'), mode);
  if (value !== undefined) fs.writeFileSync(path.join(tmp, name, 'value'), value);
}
const runs = (name) => lines(path.join(tmp, name, 'calls')).length;

describe('fallback', () => {
  test('a primary that succeeds: its own result, the fallback not run', async () => {
    const r = await callResult(c, 'primary', { k: 'x' });
    assertToolOk(r);
    assert.deepEqual(texts(r), ['value=primary key=x\n']);
    assert.equal(bwMeta(r, 'fallback'), undefined, show(r));
    assert.equal(runs('simple'), 0);
  });

  test('a primary failing after its retries: the fallback answers with the same arguments', async () => {
    setDep('primary', 'fail');
    const n0 = runs('primary');
    const r = await callResult(c, 'primary', { k: 'y' });
    assertToolOk(r, 'the fallback result is not an error');
    assert.deepEqual(texts(r), ['value=simple key=y\n'], show(r));
    assert.equal(bwMeta(r, 'fallback'), 'simple', `_meta io.bulwark/fallback: ${show(r)}`);
    assert.equal(runs('primary') - n0, 2, 'the primary was tried max_attempts (2) times first');
    assert.equal(runs('simple'), 1);
  });

  test('the breaker open (2 failures): the fallback answers without running the primary', async () => {
    // The previous test's call failed twice (2 attempts), which opens the breaker (threshold 2) when attempts count
    // one by one; one more failing call makes sure it is open however they are counted.
    assert.equal(bwMeta(await callResult(c, 'primary', { k: 'w' }), 'fallback'), 'simple');
    const n0 = runs('primary');
    const r = await callResult(c, 'primary', { k: 'z' });
    assertToolOk(r);
    assert.deepEqual(texts(r), ['value=simple key=z\n'], show(r));
    assert.equal(bwMeta(r, 'fallback'), 'simple', show(r));
    assert.equal(runs('primary'), n0, 'the open circuit kept the primary from running');
  });

  test('a stale result wins over the fallback', async () => {
    assertToolOk(await callResult(c, 'cached_primary', { k: 'a' }));
    await sleep(20);
    setDep('cached_primary', 'fail');
    const n0 = runs('simple');
    const r = await callResult(c, 'cached_primary', { k: 'a' });
    assertToolOk(r);
    assert.equal(texts(r)[0], 'value=cached key=a\n', show(r));
    assert.ok(bwMeta(r, 'stale'), `served stale: ${show(r)}`);
    assert.equal(bwMeta(r, 'fallback'), undefined, show(r));
    assert.equal(runs('simple'), n0, 'the fallback did not run');
  });

  test('no stale result for these arguments: the fallback', async () => {
    const r = await callResult(c, 'cached_primary', { k: 'new' });
    assertToolOk(r);
    assert.deepEqual(texts(r), ['value=simple key=new\n'], show(r));
    assert.equal(bwMeta(r, 'fallback'), 'simple', show(r));
  });
});

describe('a failing fallback', () => {
  test('runs once, without retries; the client gets the original tool\'s failure', async () => {
    const r = await callResult(c, 'also_failing', { k: 'q' });
    assert.equal(r.isError, true, show(r));
    assert.deepEqual(texts(r), ['exit status 75: dependency down'], `the primary's failure, not the fallback's: ${show(r)}`);
    assert.equal(bwMeta(r, 'fallback'), undefined, show(r));
    assert.equal(runs('also_failing'), 1);
    assert.equal(runs('broken_fallback'), 1, 'the fallback ran once');
  });
});

describe('fallback configuration', () => {
  test('a fallback naming no tool is a configuration error', async () => {
    const file = writeConfig(tmp, `
tools:
  - name: lonely
    exec: {command: ${FAULTS}/dep.sh, args: ["${tmp}/simple"]}
    policy: {fallback: no_such_tool}
`, 'bad_fallback.yaml');
    const r = await runCommand(bulwarkBin(), ['check', '-c', file]);
    assert.equal(r.code, 1, `bulwark check exits 1: ${r.stderr}`);
    assert.match(r.stderr, /no_such_tool/, 'the message names the missing tool');
  });

  test('fallbacks that form a cycle end: the call is answered', async () => {
    for (const d of ['ping', 'pong']) {
      fs.mkdirSync(path.join(tmp, d), { recursive: true });
      setDep(d, 'fail');
    }
    const file = writeConfig(tmp, `
tools:
  - name: ping
    annotations: {readOnlyHint: true}
    exec: {command: ${FAULTS}/dep.sh, args: ["${tmp}/ping"]}
    policy: {dependency: "exec:ping", fallback: pong, retry: {max_attempts: 1}}
  - name: pong
    annotations: {readOnlyHint: true}
    exec: {command: ${FAULTS}/dep.sh, args: ["${tmp}/pong"]}
    policy: {dependency: "exec:pong", fallback: ping, retry: {max_attempts: 1}}
`, 'cycle.yaml');
    const chk = await runCommand(bulwarkBin(), ['check', '-c', file]);
    if (chk.code !== 0) {
      // Rejecting the cycle when loading is a fine answer too.
      assert.equal(chk.code, 1, chk.stderr);
      assert.match(chk.stderr, /ping|pong/, chk.stderr);
      return;
    }
    const s = await serveStdio(file);
    try {
      // A fallback runs once without its own fallback (docs/reliability.md), so the cycle is not followed.
      const r = await callResult(s, 'ping');
      assert.equal(r.isError, true, `both fail: an error result: ${show(r)}`);
      assert.deepEqual(texts(r), ['exit status 75: dependency down'], show(r));
      assert.deepEqual([runs('ping'), runs('pong')], [1, 1], 'ping ran once, its fallback pong once');
    } finally {
      await finish(s);
    }
  });
});
