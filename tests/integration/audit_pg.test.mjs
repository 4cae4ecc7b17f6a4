// The audit trail in PostgreSQL (issue 7: "PostgreSQL optional, for several replicas writing one trail"): two
// `bulwark serve` processes on one private PostgreSQL server append concurrently to one chain — every record once,
// seq 1..N with no gap, each linked to the one before and recomputing independently; `bulwark audit verify/export`
// with --postgres and -c; tampering detected (psql, triggers disabled first); retention behind a checkpoint signed
// with the configured checkpoint_key; and fail_closed following the database going away and coming back.

import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { killAllSpawned, finish } from '../lib/raw-stdio.mjs';
import { startPostgres } from '../lib/postgres.mjs';
import { assertChain, auditCli, exportedLines } from '../lib/audit.mjs';
import {
  FAULTS, makeTmp, rmTmp, writeConfig, assertConfigValid, serveStdio, timedCall, show,
} from '../lib/reliability.mjs';

after(killAllSpawned);

const KEY = 'c2VjcmV0LWNoZWNrcG9pbnQta2V5LTMyLWJ5dGVzISE='; // base64 of 32 bytes

function psql(conninfo, sql) {
  return execFileSync('psql', [conninfo, '-v', 'ON_ERROR_STOP=1', '-At', '-c', sql], { encoding: 'utf8', timeout: 30000, stdio: ['ignore', 'pipe', 'pipe'] });
}

function tools(out) {
  return `
tools:
  - name: echo
    input_schema: {type: object, properties: {text: {type: string}}}
    exec: {command: ${FAULTS}/append.sh, args: ["${out}", "{{text}}"]}
`;
}

describe('a PostgreSQL trail shared by two replicas', () => {
  let pg;
  let tmp;
  let file;

  before(async () => {
    pg = await startPostgres();
    tmp = makeTmp('audit-pg');
    file = writeConfig(tmp, `observability:\n  audit:\n    postgres: "${pg.conninfo}"\n    checkpoint_key: "${KEY}"\n` +
      `    failure_policy: fail_closed\n${tools(path.join(tmp, 'out.txt'))}`);
    await assertConfigValid(file);
  });
  after(async () => {
    await pg?.close();
    rmTmp(tmp);
  });

  test('concurrent appends from two processes form one chain', async () => {
    const a = await serveStdio(file, 'replica-a');
    const b = await serveStdio(file, 'replica-b');
    const N = 25;
    const send = (c, tag) => Promise.all(Array.from({ length: N }, (_, i) => timedCall(c, 'echo', { text: `${tag}${i}` })));
    const results = await Promise.all([send(a, 'a'), send(b, 'b')]);
    for (const r of results.flat()) assert.ok('result' in r.msg, show(r.msg));
    await finish(a); // flushes each writer
    await finish(b);

    const v = await auditCli('verify', '--postgres', pg.conninfo);
    assert.equal(v.code, 0, v.stdout + v.stderr);
    assert.match(v.stdout, new RegExp(`^ok: ${2 * N} records, chain intact`));
    const e = await auditCli('export', '-c', file, '--since', '1h');
    assert.equal(e.code, 0, e.stderr);
    const recs = exportedLines(e.stdout);
    assert.equal(recs.length, 2 * N);
    assertChain(recs);
    const texts = recs.map((r) => r.arguments.text).sort();
    const want = [...Array.from({ length: N }, (_, i) => `a${i}`), ...Array.from({ length: N }, (_, i) => `b${i}`)].sort();
    assert.deepEqual(texts, want, 'every call recorded exactly once');
    assert.deepEqual(new Set(recs.map((r) => r.client_name)), new Set(['replica-a', 'replica-b']));
  });

  test('the append-only trigger refuses edits; verify names an edit made behind it', async () => {
    assert.throws(() => psql(pg.conninfo, "UPDATE bulwark_audit SET outcome = 'x' WHERE seq = 7"), /append-only/);
    psql(pg.conninfo, 'ALTER TABLE bulwark_audit DISABLE TRIGGER ALL');
    psql(pg.conninfo, "UPDATE bulwark_audit SET outcome = 'error' WHERE seq = 7");
    let v = await auditCli('verify', '-c', file);
    assert.equal(v.code, 1, v.stdout + v.stderr);
    assert.match(v.stdout, /^FAILED: record seq 7 .*: modified: /);
    psql(pg.conninfo, "UPDATE bulwark_audit SET outcome = 'ok' WHERE seq = 7"); // put it back
    v = await auditCli('verify', '-c', file);
    assert.equal(v.code, 0, v.stdout);
    psql(pg.conninfo, 'ALTER TABLE bulwark_audit ENABLE TRIGGER ALL');
  });

  test('retention: prune behind a checkpoint signed with checkpoint_key; the chain continues after it', async () => {
    const recs = exportedLines((await auditCli('export', '-c', file, '--since', '1h')).stdout);
    // Two replicas stamp their records' times when the calls end, so times in chain order are not strictly
    // increasing: prune removes the longest prefix of the chain older than the cut. A cut just after the latest of
    // the first 10 removes at least those.
    const cutMs = Math.max(...recs.slice(0, 10).map((r) => Date.parse(r.time))) + 1;
    const cut = new Date(cutMs).toISOString();
    let older = 0;
    while (older < recs.length && recs[older].time < cut) older++;
    assert.ok(older >= 10, show(recs.map((r) => r.time)));
    const p = await auditCli('prune', '-c', file, '--before', cut);
    assert.equal(p.code, 0, p.stdout + p.stderr);
    assert.match(p.stdout, new RegExp(`^pruned ${older} records older than `));
    const c = await serveStdio(file);
    assert.ok('result' in (await timedCall(c, 'echo', { text: 'after-prune' })).msg);
    await finish(c);
    const v = await auditCli('verify', '-c', file);
    assert.equal(v.code, 0, v.stdout + v.stderr);
    assert.match(v.stdout, new RegExp(`^ok: ${recs.length - older + 1} records, chain intact, from checkpoint at seq ${older} `));
    const wrongKey = await auditCli('verify', '--postgres', pg.conninfo); // no key given: the checkpoint cannot be checked
    assert.equal(wrongKey.code, 1);
    assert.match(wrongKey.stdout, /no key to check its signature/);
  });

  test('fail_closed: calls are refused while the database is down, and run again when it is back', async () => {
    const c = await serveStdio(file);
    try {
      assert.ok('result' in (await timedCall(c, 'echo', { text: 'before-outage' })).msg);
      pg.stop();
      // The writer learns of the outage when a write fails: at most one more call runs unrecorded-so-far (held).
      let refused;
      for (let i = 0; i < 50 && !refused; i++) {
        const { msg } = await timedCall(c, 'echo', { text: `during${i}` });
        if (msg.error) refused = msg;
        else await new Promise((r) => setTimeout(r, 50));
      }
      assert.deepEqual(refused?.error, {
        code: -32000, message: 'Audit trail unavailable: the audit store cannot be written; the call was not run',
      }, show(refused));
      pg.start();
      let ok;
      for (let i = 0; i < 100 && !ok; i++) {
        const { msg } = await timedCall(c, 'echo', { text: 'after-outage' });
        if (msg.result) ok = msg;
        else await new Promise((r) => setTimeout(r, 100));
      }
      assert.ok(ok, 'calls run again once the database is back');
    } finally {
      await finish(c);
    }
    const v = await auditCli('verify', '-c', file);
    assert.equal(v.code, 0, v.stdout + v.stderr);
    const recs = exportedLines((await auditCli('export', '-c', file, '--since', '1h')).stdout);
    const texts = recs.map((r) => r.arguments?.text);
    assert.ok(texts.includes('before-outage') && texts.includes('after-outage'), show(texts));
    assert.ok(recs.some((r) => r.error_type === 'audit_unavailable'), 'the refused calls are in the trail');
  });
});
