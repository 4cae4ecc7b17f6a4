// Result cache and stale-if-error end to end (issue 6, "Result cache and stale-if-error fallback"): a read-only
// tool's successful result answers identical calls (same tool + canonical arguments) for ttl_ms, marked with
// _meta io.bulwark/cache {ageMs}; when the dependency fails (or its breaker is open) the last good result up to
// max_stale_ms old is served with a text block "[stale: served from cache, <age> s old, because <reason>]" and
// _meta io.bulwark/stale {ageMs, reason}; a fresh result again once the dependency recovers. Tools that are not
// read-only are not cached unless cache.any_tool. The dependency is dep.sh (tests/fixtures/reliability), switched
// between ok and failing by a mode file; its call log counts the runs.

import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { killAllSpawned, finish } from '../lib/raw-stdio.mjs';
import { startFaultServer } from '../lib/fault_server.mjs';
import {
  FAULTS, SLACK_MS, makeTmp, rmTmp, writeConfig, assertConfigValid, serveStdio, callResult, assertToolError, assertToolOk,
  bwMeta, show, sleep, lines, texts,
} from '../lib/reliability.mjs';

const TTL = 800;
const STALE_RE = /^\[stale: served from cache, (\d+(?:\.\d+)?) s old, because (.+)\]$/;
let tmp;
let c;
let fault;

function depTool(name, { annotations = '{readOnlyHint: true}', policy }) {
  return `
  - name: ${name}
    annotations: ${annotations}
    input_schema: {type: object, properties: {k: {type: string}, n: {type: integer}}}
    exec: {command: ${FAULTS}/dep.sh, args: ["${tmp}/${name}", "{{k}}"]}
    policy: {dependency: "exec:${name}", retry: {max_attempts: 1}, ${policy}}`;
}

function config() {
  const noBreaker = '{breaker: {failure_threshold: -1}}';
  return `
reliability:
  dependencies:
    "exec:cached": ${noBreaker}
    "exec:short": ${noBreaker}
    "exec:writer": ${noBreaker}
    "exec:writer_any": ${noBreaker}
    "${fault.base}": ${noBreaker}
    "exec:guarded":
      breaker: {failure_threshold: 1, failure_rate: 1.0, min_calls: 1000, open_ms: 60000}
tools:
${depTool('cached', { policy: `cache: {ttl_ms: ${TTL}, max_stale_ms: 60000}` })}
${depTool('short', { policy: 'cache: {ttl_ms: 100, max_stale_ms: 300}' })}
${depTool('writer', { annotations: '{readOnlyHint: false}', policy: 'cache: {ttl_ms: 60000, max_stale_ms: 60000}' })}
${depTool('writer_any', { annotations: '{readOnlyHint: false}', policy: 'cache: {ttl_ms: 60000, any_tool: true}' })}
${depTool('guarded', { policy: 'cache: {ttl_ms: 1, max_stale_ms: 60000}' })}
  - name: remote
    annotations: {readOnlyHint: true}
    input_schema: {type: object, properties: {id: {type: string}}}
    http: {url: "${fault.base}/items/{id}"}
    policy: {deadline_ms: 400, retry: {max_attempts: 1}, cache: {ttl_ms: 200, max_stale_ms: 60000}}
`;
}

before(async () => {
  tmp = makeTmp('cache');
  fault = await startFaultServer();
  for (const d of ['cached', 'short', 'writer', 'writer_any', 'guarded']) {
    fs.mkdirSync(path.join(tmp, d));
    setDep(d, 'ok', 'v1');
  }
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

function setDep(name, mode, value) {
  fs.writeFileSync(path.join(tmp, name, 'mode'), mode);
  if (value !== undefined) fs.writeFileSync(path.join(tmp, name, 'value'), value);
}
const runs = (name) => lines(path.join(tmp, name, 'calls')).length;

/** Asserts a stale answer: the cached content, then the stale note; returns {ageMs, reason, seconds}. */
function assertStale(r, expectedText, minAgeMs) {
  assertToolOk(r, 'a stale result is not an error');
  const t = texts(r);
  assert.equal(t[0], expectedText, `the cached content first: ${show(r)}`);
  const note = t[t.length - 1];
  const m = STALE_RE.exec(note ?? '');
  assert.ok(m, `last text block is the stale note: ${show(r)}`);
  const stale = bwMeta(r, 'stale');
  assert.ok(stale && Number.isInteger(stale.ageMs), `_meta io.bulwark/stale {ageMs}: ${show(r)}`);
  assert.equal(typeof stale.reason, 'string', `_meta io.bulwark/stale.reason: ${show(r)}`);
  assert.ok(stale.reason.length > 0);
  assert.ok(stale.ageMs >= minAgeMs, `ageMs ${stale.ageMs} ≥ ${minAgeMs}`);
  assert.ok(Math.abs(Number(m[1]) * 1000 - stale.ageMs) < 1000, `the note's age (${m[1]} s) matches ageMs (${stale.ageMs})`);
  assert.equal(m[2], stale.reason, 'the note and _meta give the same reason');
  assert.equal(bwMeta(r, 'cache'), undefined, `a stale result is not also a fresh cache hit: ${show(r)}`);
  return { ageMs: stale.ageMs, reason: stale.reason, noteReason: m[2] };
}

describe('result cache', () => {
  test('a fresh hit within ttl_ms: same result, _meta io.bulwark/cache {ageMs}, the program not run', async () => {
    const first = await callResult(c, 'cached', { k: 'a' });
    assertToolOk(first);
    assert.deepEqual(texts(first), ['value=v1 key=a\n']);
    assert.equal(bwMeta(first, 'cache'), undefined, `a miss has no cache _meta: ${show(first)}`);
    assert.equal(runs('cached'), 1);

    setDep('cached', 'ok', 'v2'); // the dependency changed, but the cache answers within the TTL
    const hit = await callResult(c, 'cached', { k: 'a' });
    assert.deepEqual(hit.content, first.content, show(hit));
    const meta = bwMeta(hit, 'cache');
    assert.ok(meta && Number.isInteger(meta.ageMs) && meta.ageMs >= 0 && meta.ageMs < TTL,
      `_meta io.bulwark/cache {ageMs} within the TTL: ${show(hit)}`);
    assert.equal(runs('cached'), 1, 'answered from the cache');
  });

  test('the key is tool + canonical arguments: other arguments miss, reordered members hit', async () => {
    const other = await callResult(c, 'cached', { k: 'b' });
    assert.deepEqual(texts(other), ['value=v2 key=b\n'], show(other));
    assert.equal(runs('cached'), 2);
    await callResult(c, 'cached', { k: 'c', n: 1 });
    assert.equal(runs('cached'), 3);
    const reordered = await callResult(c, 'cached', { n: 1, k: 'c' });
    assert.ok(bwMeta(reordered, 'cache'), `same arguments in another member order hit: ${show(reordered)}`);
    assert.equal(runs('cached'), 3);
  });

  test('after ttl_ms the dependency is called again', async () => {
    await sleep(TTL + 100);
    const r = await callResult(c, 'cached', { k: 'a' });
    assert.deepEqual(texts(r), ['value=v2 key=a\n'], show(r));
    assert.equal(bwMeta(r, 'cache'), undefined);
    assert.equal(runs('cached'), 4);
  });

  test('a tool that is not read-only is not cached; cache.any_tool caches it', async () => {
    await callResult(c, 'writer', { k: 'a' });
    await callResult(c, 'writer', { k: 'a' });
    assert.equal(runs('writer'), 2, 'not read-only: run every time');
    await callResult(c, 'writer_any', { k: 'a' });
    const hit = await callResult(c, 'writer_any', { k: 'a' });
    assert.ok(bwMeta(hit, 'cache'), show(hit));
    assert.equal(runs('writer_any'), 1, 'any_tool: cached');
  });

  test('a failure is not cached', async () => {
    setDep('cached', 'perm');
    const n0 = runs('cached');
    assertToolError(await callResult(c, 'cached', { k: 'never-ok' }), /^exit status 3: /);
    assertToolError(await callResult(c, 'cached', { k: 'never-ok' }), /^exit status 3: /);
    assert.equal(runs('cached') - n0, 2);
    setDep('cached', 'ok');
  });
});

describe('stale-if-error', () => {
  test('the dependency down: the last good result, marked stale with its age; fresh again after recovery', async (t) => {
    setDep('cached', 'ok', 'v3');
    await sleep(TTL + 100); // whatever is cached for k=a has expired
    const good = await callResult(c, 'cached', { k: 'a' });
    assert.deepEqual(texts(good), ['value=v3 key=a\n']);
    await sleep(TTL + 100);
    setDep('cached', 'fail');
    const n0 = runs('cached');
    const stale = await callResult(c, 'cached', { k: 'a' });
    const s = assertStale(stale, 'value=v3 key=a\n', TTL);
    assert.equal(s.reason, 'the tool failed');
    t.diagnostic(`stale: ageMs ${s.ageMs}, reason ${JSON.stringify(s.reason)}, note reason ${JSON.stringify(s.noteReason)}`);
    assert.equal(runs('cached') - n0, 1, 'the dependency was tried first');

    const again = await callResult(c, 'cached', { k: 'a' });
    const s2 = assertStale(again, 'value=v3 key=a\n', TTL);
    assert.ok(s2.ageMs >= s.ageMs, 'the age grows');

    setDep('cached', 'ok', 'v4');
    const fresh = await callResult(c, 'cached', { k: 'a' });
    assertToolOk(fresh);
    assert.deepEqual(texts(fresh), ['value=v4 key=a\n'], `fresh after recovery: ${show(fresh)}`);
    assert.equal(bwMeta(fresh, 'stale'), undefined);
  });

  test('nothing cached for these arguments: the failure itself', async () => {
    setDep('cached', 'fail');
    const r = await callResult(c, 'cached', { k: 'never-seen' });
    assertToolError(r, /^exit status 75: dependency down/);
    assert.equal(bwMeta(r, 'stale'), undefined);
    setDep('cached', 'ok');
  });

  test('older than max_stale_ms: the failure, not the stale result', async () => {
    assertToolOk(await callResult(c, 'short', { k: 'a' }));
    await sleep(1000); // > ttl 100 + max_stale 300, whichever way staleness is counted
    setDep('short', 'fail');
    const r = await callResult(c, 'short', { k: 'a' });
    assertToolError(r, /^exit status 75: /);
    assert.equal(bwMeta(r, 'stale'), undefined, show(r));
  });

  test('the breaker open: stale served without running the program', async () => {
    assertToolOk(await callResult(c, 'guarded', { k: 'a' }));
    await sleep(50); // past the 1 ms TTL
    setDep('guarded', 'fail');
    const first = await callResult(c, 'guarded', { k: 'a' }); // fails → stale; opens the breaker (threshold 1)
    assertStale(first, 'value=v1 key=a\n', 1);
    const n0 = runs('guarded');
    const open = await callResult(c, 'guarded', { k: 'a' });
    const s = assertStale(open, 'value=v1 key=a\n', 1);
    assert.equal(runs('guarded'), n0, 'the open breaker kept the program from running');
    assert.equal(s.reason, 'exec:guarded is failing (circuit open)');
  });
});

describe('stale-if-error on an HTTP dependency', () => {
  test('500s, then a stall past the deadline: stale with its age; fresh again after recovery', async (t) => {
    fault.setMode('ok', { value: 'first' });
    const good = await callResult(c, 'remote', { id: '1' });
    assertToolOk(good);
    assert.equal(good.structuredContent?.value, 'first', show(good));
    const goodText = texts(good)[0];
    await sleep(300); // past the 200 ms TTL

    fault.setMode('fail');
    const n0 = fault.count;
    const s500 = assertStale(await callResult(c, 'remote', { id: '1' }), goodText, 200);
    assert.equal(fault.count - n0, 1, 'the dependency was tried');
    t.diagnostic(`after HTTP 500: ageMs ${s500.ageMs}, reason ${JSON.stringify(s500.reason)}`);
    assert.equal(s500.reason, 'the tool failed');

    fault.setMode('stall');
    const t0 = Date.now();
    const stalled = await callResult(c, 'remote', { id: '1' });
    const ms = Date.now() - t0;
    const sStall = assertStale(stalled, goodText, s500.ageMs);
    t.diagnostic(`after a stall: answered in ${ms} ms (deadline 400), reason ${JSON.stringify(sStall.reason)}`);
    assert.equal(sStall.reason, 'the call timed out');
    assert.ok(ms <= 400 + 100 + SLACK_MS, `the stale answer came within deadline + ${100 + SLACK_MS} ms (${ms} ms)`);

    fault.setMode('ok', { value: 'second' });
    const fresh = await callResult(c, 'remote', { id: '1' });
    assertToolOk(fresh);
    assert.equal(fresh.structuredContent?.value, 'second', `fresh after recovery: ${show(fresh)}`);
    assert.equal(bwMeta(fresh, 'stale'), undefined);
  });
});

describe('cache memory bound (reliability.cache_max_bytes)', () => {
  test('LRU by bytes: the oldest entries are evicted past the bound; an oversized result is not cached', async () => {
    const dir = path.join(tmp, 'bounded');
    fs.mkdirSync(dir);
    const file = writeConfig(tmp, `
reliability:
  cache_max_bytes: 65536
tools:
  - name: bounded
    annotations: {readOnlyHint: true}
    input_schema: {type: object, properties: {k: {type: string}}}
    exec: {command: ${FAULTS}/dep.sh, args: ["${dir}", "{{k}}"]}
    policy: {cache: {ttl_ms: 60000}}
`, 'bounded.yaml');
    await assertConfigValid(file);
    const s = await serveStdio(file);
    const ran = () => lines(path.join(dir, 'calls')).length;
    try {
      // Each result carries a 3500-byte value twice (the text block and structuredContent.stdout): about 7 KB, under
      // the per-entry limit (an eighth of the bound, docs/reliability.md). Twelve of them (~84 KB) exceed 65536 bytes
      // (the smallest bound allowed), so the oldest must go, while the newest stays.
      fs.writeFileSync(path.join(dir, 'value'), 'x'.repeat(3500));
      for (let i = 0; i < 12; i++) await callResult(s, 'bounded', { k: `k${i}` });
      assert.equal(ran(), 12);
      const newest = await callResult(s, 'bounded', { k: 'k11' });
      assert.ok(bwMeta(newest, 'cache'), 'the newest entry is cached');
      assert.equal(ran(), 12);
      const oldest = await callResult(s, 'bounded', { k: 'k0' });
      assert.equal(bwMeta(oldest, 'cache'), undefined, 'the least recently used entry was evicted');
      assert.equal(ran(), 13);

      fs.writeFileSync(path.join(dir, 'value'), 'y'.repeat(40000));
      await callResult(s, 'bounded', { k: 'huge' });
      const huge = await callResult(s, 'bounded', { k: 'huge' });
      assert.equal(bwMeta(huge, 'cache'), undefined, 'a result larger than an eighth of the bound is not cached');
      assert.equal(ran(), 15);
    } finally {
      await finish(s);
    }
  });
});
