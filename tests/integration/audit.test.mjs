// The tamper-evident audit trail (issue 7, "Audit trail"): every tools/call, resources/read and prompts/get writes a
// record to a SQLite hash chain (observability.audit). Checked here from the outside: the rows' fields (the
// X-Request-ID the client sent, the session, client info, remote address, user agent, target, outcome), the
// arguments' SHA-256 and every record's chain hash recomputed independently in JavaScript, redaction and the `none`
// mode, `bulwark audit verify` passing and then naming the first modified / deleted / reordered record (the SQLite
// file edited with node:sqlite), `bulwark audit export --since/--until`, retention (`bulwark audit prune` behind an
// HMAC-signed checkpoint that verify checks, and a server appending after it), fail_closed refusing calls with
// -32000 while the store cannot be written, and fail_open spooling records and replaying them into the chain.

import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { bulwarkBin, killAllSpawned, finish, CLIENT_INFO } from '../lib/raw-stdio.mjs';
import { GENESIS, canonical, sha256, chainHash, assertChain, auditCli } from '../lib/audit.mjs';
import { startHttp, finishHttp, initSession, rpc, request, open, LATEST } from '../lib/http.mjs';
import {
  FAULTS, makeTmp, rmTmp, writeConfig, assertConfigValid, serveStdio, timedCall, lines, eventually, show,
} from '../lib/reliability.mjs';

after(killAllSpawned);

/** A stored row as a record: the arguments column parsed (it holds canonical JSON text). */
function recordOf(row) {
  const r = { ...row };
  r.arguments = row.arguments === null ? null : JSON.parse(row.arguments);
  return r;
}

function readRows(db) {
  const d = new DatabaseSync(db, { readOnly: true });
  try {
    return d.prepare('SELECT * FROM audit ORDER BY seq').all().map((r) => recordOf({ ...r }));
  } finally {
    d.close();
  }
}

/** Rows once at least n are there and pred(rows) holds (the writer thread commits shortly after each call). */
async function rowsWhen(db, n, timeoutMs = 5000, pred = () => true) {
  let rows = [];
  const ok = await eventually(() => {
    try {
      rows = fs.existsSync(db) ? readRows(db) : [];
    } catch {
      rows = []; // the schema may not be there yet
    }
    return rows.length >= n && pred(rows);
  }, timeoutMs);
  assert.ok(ok, `${n} audit rows within ${timeoutMs} ms (have ${rows.length}: ${show(rows)})`);
  return rows;
}

/** Opens the trail for editing as an attacker would: the append-only triggers dropped first. */
function tamper(db, ...sql) {
  const d = new DatabaseSync(db);
  try {
    for (const t of ['audit_no_update', 'audit_no_delete', 'audit_checkpoint_no_change', 'audit_checkpoint_no_delete']) {
      d.exec(`DROP TRIGGER IF EXISTS ${t}`);
    }
    for (const s of sql) d.exec(s);
  } finally {
    d.close();
  }
}

const audit = auditCli;

/** A consistent copy of a trail (also while a server writes it: the records may still be in the WAL file). */
function copyTrail(src, dir, name) {
  const dst = path.join(dir, name);
  const d = new DatabaseSync(src, { readOnly: true });
  try {
    d.exec(`VACUUM INTO '${dst.replaceAll("'", "''")}'`);
  } finally {
    d.close();
  }
  return dst;
}

function tools(out) {
  return `
tools:
  - name: echo
    input_schema:
      type: object
      properties: {text: {type: string}, password: {type: string}, nested: {type: object}}
    exec: {command: ${FAULTS}/append.sh, args: ["${out}", "{{text}}"]}
resources:
  - uri: audit://about
    name: about
    mime_type: text/plain
    text: About this server.
prompts:
  - name: greet
    arguments:
      - name: who
        required: true
    messages:
      - role: user
        text: Say hello to {{who}}.
`;
}

describe('audit records over HTTP', () => {
  let tmp;
  let db;
  let srv;
  let session;
  let rows;
  const UA = 'audit-test-agent/1.0';

  before(async () => {
    tmp = makeTmp('audit');
    fs.mkdirSync(path.join(tmp, 'trail'));
    db = path.join(tmp, 'trail', 'audit.db');
    const file = writeConfig(tmp, `observability:\n  audit:\n    path: trail/audit.db\n${tools(path.join(tmp, 'out.txt'))}`);
    await assertConfigValid(file);
    srv = await startHttp({ bin: bulwarkBin(), argv: ['serve', '-c', file, '--listen', '127.0.0.1:0'] });
    ({ session } = await initSession(srv, LATEST, { headers: { 'User-Agent': UA } }));
    const h = (id) => ({ headers: { 'X-Request-ID': id, 'User-Agent': UA } });
    const args = { text: 'hi', password: 'hunter2-not-in-the-trail', nested: { z: 1, a: [true, null, 'x'] } };
    const calls = [
      ['tools/call', { name: 'echo', arguments: args }, 'req-audit-1'],
      ['resources/read', { uri: 'audit://about' }, 'req-audit-2'],
      ['prompts/get', { name: 'greet', arguments: { who: 'Ada' } }, 'req-audit-3'],
      ['tools/call', { name: 'no_such_tool', arguments: {} }, 'req-audit-4'],
    ];
    for (const [method, params, id] of calls) {
      const { resp } = await rpc(srv, session, method, params, h(id));
      assert.equal(resp.headers['x-request-id'], id, 'the request id is echoed');
    }
    rows = await rowsWhen(db, 4);
  });

  after(async () => {
    await finishHttp(srv);
    rmTmp(tmp);
  });

  test('one row per audited call, with the request id sent, session, client and target', () => {
    assert.equal(rows.length, 4, show(rows));
    const expect = [
      ['req-audit-1', 'tools/call', 'echo', 'ok', null],
      ['req-audit-2', 'resources/read', 'audit://about', 'ok', null],
      ['req-audit-3', 'prompts/get', 'greet', 'ok', null],
      ['req-audit-4', 'tools/call', 'no_such_tool', 'error', 'invalid_params'],
    ];
    rows.forEach((r, i) => {
      const [id, method, target, outcome, errorType] = expect[i];
      assert.deepEqual(
        { seq: r.seq, request_id: r.request_id, method: r.method, target: r.target, outcome: r.outcome, error_type: r.error_type, event: r.event },
        { seq: i + 1, request_id: id, method, target, outcome, error_type: errorType, event: 'call' }, show(r));
      assert.equal(r.session_id, session, 'the Mcp-Session-Id');
      assert.equal(r.client_name, CLIENT_INFO.name);
      assert.equal(r.client_version, CLIENT_INFO.version);
      assert.match(r.remote_addr, /^127\.0\.0\.1:\d+$/);
      assert.equal(r.user_agent, UA);
      assert.match(r.time, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
      assert.ok(Math.abs(Date.parse(r.time) - Date.now()) < 60000, `time ${r.time} is now`);
      assert.ok(Number.isInteger(r.duration_us) && r.duration_us >= 0, `duration_us ${r.duration_us}`);
    });
  });

  test('args_sha256 is the SHA-256 of the canonical arguments; arguments are stored redacted', () => {
    const args = { text: 'hi', password: 'hunter2-not-in-the-trail', nested: { z: 1, a: [true, null, 'x'] } };
    assert.equal(rows[0].args_sha256, sha256(canonical(args)));
    assert.equal(rows[0].args_sha256, sha256('{"nested":{"a":[true,null,"x"],"z":1},"password":"hunter2-not-in-the-trail","text":"hi"}'));
    assert.deepEqual(rows[0].arguments, { text: 'hi', password: '[REDACTED]', nested: { z: 1, a: [true, null, 'x'] } });
    assert.equal(rows[1].args_sha256, null, 'resources/read has no arguments');
    assert.equal(rows[1].arguments, null);
    assert.equal(rows[2].args_sha256, sha256(canonical({ who: 'Ada' })));
    assert.equal(rows[3].args_sha256, sha256('{}'));
    for (const f of fs.readdirSync(path.join(tmp, 'trail'))) {
      const bytes = fs.readFileSync(path.join(tmp, 'trail', f));
      assert.equal(bytes.includes('hunter2-not-in-the-trail'), false, `the password is not in ${f}`);
    }
  });

  test('each row is chained: prev_hash is the previous hash, hash recomputes independently', () => {
    assertChain(rows, 1, GENESIS);
  });

  test('/metrics counts the records written', async () => {
    const m = await request(srv, { method: 'GET', path: '/metrics' });
    assert.equal(m.status, 200);
    assert.match(m.text, /^bulwark_audit_records_written_total 4$/m);
    assert.match(m.text, /^bulwark_audit_records_dropped_total 0$/m);
  });

  test('the trail file is private (0600)', () => {
    assert.equal(fs.statSync(db).mode & 0o777, 0o600);
  });

  test('the append-only triggers refuse UPDATE and DELETE', () => {
    const d = new DatabaseSync(db);
    try {
      assert.throws(() => d.exec("UPDATE audit SET outcome = 'ok' WHERE seq = 4"), /append-only/);
      assert.throws(() => d.exec('DELETE FROM audit WHERE seq = 1'), /retention/);
    } finally {
      d.close();
    }
  });

  test('bulwark audit verify: ok, then export --since/--until returns exactly the records in range', async () => {
    const v = await audit('verify', '--db', db);
    assert.equal(v.code, 0, v.stdout + v.stderr);
    assert.match(v.stdout, new RegExp(`^ok: 4 records, chain intact; head ${rows[3].hash}\\n$`));

    const all = await audit('export', '--db', db, '--since', '1h', '--format', 'jsonl');
    assert.equal(all.code, 0, all.stderr);
    const exported = all.stdout.trimEnd().split('\n').map((l) => JSON.parse(l));
    assert.deepEqual(exported, rows, 'every record, every member');
    for (const e of exported) assert.equal(e.hash, chainHash(e), 'an exported line recomputes');

    // A range by the records' own times: since is inclusive, until exclusive.
    const r = await audit('export', '--db', db, '--since', rows[1].time, '--until', rows[3].time);
    assert.equal(r.code, 0, r.stderr);
    const seqs = r.stdout.trimEnd().split('\n').filter((l) => l).map((l) => JSON.parse(l).seq);
    const want = rows.filter((x) => x.time >= rows[1].time && x.time < rows[3].time).map((x) => x.seq);
    assert.deepEqual(seqs, want);
    assert.ok(want.includes(2) && !want.includes(4), show(want));

    const none = await audit('export', '--db', db, '--since', '2000-01-01T00:00:00Z', '--until', '2000-01-02T00:00:00+02:00');
    assert.deepEqual([none.code, none.stdout], [0, '']);
    const bad = await audit('export', '--db', db, '--since', 'yesterday');
    assert.equal(bad.code, 2, 'an unparsable time is a usage error');
  });

  describe('verify detects tampering (on copies of the trail, edited with node:sqlite)', () => {
    test('a modified row', async () => {
      const f = copyTrail(db, tmp, 'modified.db');
      tamper(f, "UPDATE audit SET outcome = 'ok', error_type = NULL WHERE seq = 4");
      const v = await audit('verify', '--db', f);
      assert.equal(v.code, 1, v.stdout + v.stderr);
      assert.match(v.stdout, /^FAILED: record seq 4 \(time .*, request_id req-audit-4\): modified: /);
    });

    test('a modified argument (whitespace only, so the JSON is the same value)', async () => {
      const f = copyTrail(db, tmp, 'modified-args.db');
      tamper(f, `UPDATE audit SET arguments = '{ "who":"Ada"}' WHERE seq = 3`);
      const v = await audit('verify', '--db', f);
      assert.equal(v.code, 1, v.stdout);
      assert.match(v.stdout, /^FAILED: record seq 3 .*: modified: /);
    });

    test('a deleted row', async () => {
      const f = copyTrail(db, tmp, 'deleted.db');
      tamper(f, 'DELETE FROM audit WHERE seq = 2');
      const v = await audit('verify', '--db', f);
      assert.equal(v.code, 1, v.stdout);
      assert.match(v.stdout, /^FAILED: record seq 3 .*: deleted: record seq 2 is missing\n$/);
    });

    test('a deleted row with the later rows renumbered', async () => {
      const f = copyTrail(db, tmp, 'renumbered.db');
      tamper(f, 'DELETE FROM audit WHERE seq = 2', 'UPDATE audit SET seq = seq - 1 WHERE seq > 2');
      const v = await audit('verify', '--db', f);
      assert.equal(v.code, 1, v.stdout);
      assert.match(v.stdout, /^FAILED: record seq 2 \(time .*, request_id req-audit-3\): chain broken: its prev_hash matches no record/);
    });

    test('two rows swapped (reordered)', async () => {
      const f = copyTrail(db, tmp, 'reordered.db');
      tamper(f, 'UPDATE audit SET seq = -2 WHERE seq = 2', 'UPDATE audit SET seq = 2 WHERE seq = 3',
        'UPDATE audit SET seq = 3 WHERE seq = -2');
      const v = await audit('verify', '--db', f);
      assert.equal(v.code, 1, v.stdout);
      assert.match(v.stdout, /^FAILED: record seq 2 \(time .*, request_id req-audit-3\): reordered: its prev_hash is the hash of record seq 3/);
    });

    test('the first row deleted', async () => {
      const f = copyTrail(db, tmp, 'first.db');
      tamper(f, 'DELETE FROM audit WHERE seq = 1');
      const v = await audit('verify', '--db', f);
      assert.equal(v.code, 1, v.stdout);
      assert.match(v.stdout, /^FAILED: record seq 2 .*: deleted: record seq 1 is missing/);
    });
  });

  test('each written record is published on GET /events as an "audit" event', async () => {
    const r = await open(srv, { method: 'GET', path: '/events?types=audit', headers: { Accept: 'text/event-stream' } });
    try {
      assert.equal(r.status, 200);
      await r.sse.until((e) => e.event === 'hello', 5000, 'hello');
      await rpc(srv, session, 'tools/call', { name: 'echo', arguments: { text: 'evt' } },
        { headers: { 'X-Request-ID': 'req-audit-5' } });
      const ev = (await r.sse.until((e) => e.event === 'audit', 5000, 'an audit event')).pop();
      assert.equal(ev.json.type, 'audit');
      assert.deepEqual(ev.json.data, {
        seq: 5, time: ev.json.data.time, event: 'call', method: 'tools/call', target: 'echo', outcome: 'ok',
        identity: CLIENT_INFO.name, request_id: 'req-audit-5', remote_addr: ev.json.data.remote_addr,
      });
      assert.match(ev.json.data.remote_addr, /^127\.0\.0\.1:\d+$/);
      assert.match(ev.json.data.time, /^\d{4}-\d\d-\d\dT/);
    } finally {
      r.destroy();
    }
  });
});

describe('retention: prune behind a signed checkpoint', () => {
  let tmp;
  let db;
  let file;

  before(async () => {
    tmp = makeTmp('audit-ret');
    db = path.join(tmp, 'audit.db');
    file = writeConfig(tmp, `observability:\n  audit:\n    path: audit.db\n${tools(path.join(tmp, 'out.txt'))}`);
    await assertConfigValid(file);
  });
  after(() => rmTmp(tmp));

  test('prune removes the old prefix, verify starts from the checkpoint, the server appends after it', async () => {
    let c = await serveStdio(file);
    for (let i = 0; i < 3; i++) assert.ok('result' in (await timedCall(c, 'echo', { text: `old${i}` })).msg);
    const old = await rowsWhen(db, 3);
    await new Promise((r) => setTimeout(r, 20)); // the next records are strictly later than the cut
    const cut = new Date().toISOString();
    await new Promise((r) => setTimeout(r, 20));
    for (let i = 0; i < 2; i++) assert.ok('result' in (await timedCall(c, 'echo', { text: `new${i}` })).msg);
    const all = await rowsWhen(db, 5);
    await finish(c);

    const p = await audit('prune', '--db', db, '--before', cut);
    assert.equal(p.code, 0, p.stdout + p.stderr);
    assert.match(p.stdout, /^pruned 3 records older than .*; checkpoint at seq 3 signed\n$/);
    assert.equal(fs.statSync(`${db}.key`).mode & 0o777, 0o600, 'the key file next to the trail is private');
    assert.match(fs.readFileSync(`${db}.key`, 'utf8'), /^[0-9a-f]{64}\n$/);
    assert.deepEqual(readRows(db).map((r) => r.seq), [4, 5]);

    let v = await audit('verify', '--db', db);
    assert.equal(v.code, 0, v.stdout + v.stderr);
    assert.match(v.stdout, /^ok: 2 records, chain intact, from checkpoint at seq 3 \(/);
    const again = await audit('prune', '--db', db, '--before', cut);
    assert.match(again.stdout, /^nothing to prune/);

    // The server picks up the chain head after the prune.
    c = await serveStdio(file);
    assert.ok('result' in (await timedCall(c, 'echo', { text: 'after' })).msg);
    const rows = await rowsWhen(db, 3);
    await finish(c);
    assert.equal(rows[2].seq, 6);
    assert.equal(rows[2].prev_hash, all[4].hash);
    v = await audit('verify', '-c', file);
    assert.equal(v.code, 0, v.stdout + v.stderr);
    assert.match(v.stdout, /^ok: 3 records, chain intact, from checkpoint at seq 3/);

    // The checkpoint names the last pruned record.
    const d = new DatabaseSync(db, { readOnly: true });
    const cp = d.prepare('SELECT * FROM audit_checkpoint').all();
    d.close();
    assert.equal(cp.length, 1);
    assert.deepEqual({ seq: cp[0].seq, hash: cp[0].hash, count: cp[0].count }, { seq: 3, hash: old[2].hash, count: 3 });
    const key = Buffer.from(fs.readFileSync(`${db}.key`, 'utf8').trim(), 'hex');
    const body = canonical({ count: cp[0].count, hash: cp[0].hash, seq: cp[0].seq, time: cp[0].time });
    assert.equal(cp[0].signature, createHmac('sha256', key).update(body).digest('hex'), 'HMAC-SHA256 signature');
  });

  test('a forged checkpoint, a missing checkpoint and a wrong key are detected', async () => {
    const forged = copyTrail(db, tmp, 'forged.db');
    fs.copyFileSync(`${db}.key`, `${forged}.key`);
    tamper(forged, 'UPDATE audit_checkpoint SET count = 2');
    let v = await audit('verify', '--db', forged);
    assert.equal(v.code, 1, v.stdout);
    assert.match(v.stdout, /^FAILED: checkpoint at seq 3 .*: bad signature/);

    const dropped = copyTrail(db, tmp, 'nocheckpoint.db');
    tamper(dropped, 'DELETE FROM audit_checkpoint');
    v = await audit('verify', '--db', dropped);
    assert.equal(v.code, 1, v.stdout);
    assert.match(v.stdout, /^FAILED: record seq 4 .*: deleted: records seq 1\.\.3 are missing/);

    const other = path.join(tmp, 'other.key');
    fs.writeFileSync(other, `${'ab'.repeat(32)}\n`);
    v = await audit('verify', '--db', db, '--key-file', other);
    assert.equal(v.code, 1, v.stdout);
    assert.match(v.stdout, /bad signature/);
  });
});

describe('arguments: none', () => {
  let tmp;
  after(() => rmTmp(tmp));

  test('only the hash of the arguments is stored', async () => {
    tmp = makeTmp('audit-none');
    const db = path.join(tmp, 'a.db');
    const file = writeConfig(tmp, `observability:\n  audit:\n    path: a.db\n    arguments: none\n${tools(path.join(tmp, 'out.txt'))}`);
    await assertConfigValid(file);
    const c = await serveStdio(file);
    assert.ok('result' in (await timedCall(c, 'echo', { text: 'secret-text' })).msg);
    const rows = await rowsWhen(db, 1);
    await finish(c);
    assert.equal(rows[0].arguments, null);
    assert.equal(rows[0].args_sha256, sha256(canonical({ text: 'secret-text' })));
    assert.equal(rows[0].remote_addr, null, 'stdio has no remote address');
  });

  test('arguments over 64 KiB are stored as their size; the hash covers them all', async () => {
    const db = path.join(tmp, 'big.db');
    const file = writeConfig(tmp, `observability:\n  audit:\n    path: big.db\n    arguments: full\n${tools(path.join(tmp, 'big.txt'))}`, 'big.yaml');
    const c = await serveStdio(file);
    const args = { text: 'x'.repeat(70000) };
    assert.ok('result' in (await timedCall(c, 'echo', args)).msg);
    const small = { text: 'y'.repeat(60000) };
    assert.ok('result' in (await timedCall(c, 'echo', small)).msg);
    const rows = await rowsWhen(db, 2);
    await finish(c);
    assert.deepEqual(rows[0].arguments, { truncated_bytes: JSON.stringify(args).length });
    assert.equal(rows[0].args_sha256, sha256(canonical(args)));
    assert.deepEqual(rows[1].arguments, small, 'below the bound: stored whole');
  });
});

describe('reload', () => {
  let tmp;
  after(() => rmTmp(tmp));

  /** Sends SIGHUP and waits (bounded) for one more config_reloaded log line on stderr. */
  async function reload(c) {
    const RELOADED = /^\{"ts":"[^"]+","level":"info","msg":"config_reloaded"[,}]/gm;
    const before = (c.stderr.match(RELOADED) ?? []).length;
    process.kill(c.pid, 'SIGHUP');
    const ok = await eventually(() => (c.stderr.match(RELOADED) ?? []).length > before, 5000);
    assert.ok(ok, `reloaded within 5 s: ${c.stderr.slice(-1000)}`);
  }

  test('a reload changes the arguments mode and the trail of a running server', async () => {
    tmp = makeTmp('audit-reload');
    const out = path.join(tmp, 'out.txt');
    const cfg = (p, mode) => `observability:\n  audit:\n    path: ${p}\n    arguments: ${mode}\n${tools(out)}`;
    const file = writeConfig(tmp, cfg('one.db', 'full'));
    const c = await serveStdio(file);
    try {
      assert.ok('result' in (await timedCall(c, 'echo', { text: 'first', password: 'p1' })).msg);
      writeConfig(tmp, cfg('one.db', 'none'));
      await reload(c);
      assert.ok('result' in (await timedCall(c, 'echo', { text: 'second' })).msg);
      const one = await rowsWhen(path.join(tmp, 'one.db'), 2);
      assert.deepEqual(one.map((r) => r.arguments), [{ text: 'first', password: 'p1' }, null], 'full, then none');
      writeConfig(tmp, cfg('two.db', 'redacted'));
      await reload(c);
      assert.ok('result' in (await timedCall(c, 'echo', { text: 'third', password: 'p3' })).msg);
      const two = await rowsWhen(path.join(tmp, 'two.db'), 1);
      assert.deepEqual(two.map((r) => r.arguments), [{ text: 'third', password: '[REDACTED]' }]);
      assert.equal(readRows(path.join(tmp, 'one.db')).length, 2, 'nothing more went to the old trail');
    } finally {
      await finish(c);
    }
    for (const f of ['one.db', 'two.db']) {
      const v = await audit('verify', '--db', path.join(tmp, f));
      assert.equal(v.code, 0, v.stdout + v.stderr);
    }
  });
});

describe('the store unavailable', () => {
  let tmp;
  before(() => {
    tmp = makeTmp('audit-fail');
  });
  after(() => rmTmp(tmp));

  test('fail_closed: calls are refused with -32000 and do not run; recorded once the store is back', async () => {
    const blocked = path.join(tmp, 'closed');
    fs.writeFileSync(blocked, 'a file where the trail directory should be\n');
    const out = path.join(tmp, 'closed-out.txt');
    const file = writeConfig(tmp, `observability:\n  audit:\n    path: closed/audit.db\n    failure_policy: fail_closed\n${tools(out)}`, 'closed.yaml');
    await assertConfigValid(file);
    const c = await serveStdio(file);
    try {
      for (let i = 0; i < 2; i++) {
        const { msg } = await timedCall(c, 'echo', { text: `refused${i}` });
        assert.deepEqual(msg.error, {
          code: -32000, message: 'Audit trail unavailable: the audit store cannot be written; the call was not run',
        }, show(msg));
      }
      assert.equal(fs.existsSync(out), false, 'the tool never ran');
      const r = await c.request('resources/read', { uri: 'audit://about' });
      assert.equal(r.error?.code, -32000, show(r));
      const list = await c.request('tools/list', {});
      assert.ok(list.result, 'methods that are not audited still work');

      fs.rmSync(blocked);
      fs.mkdirSync(blocked);
      // The writer tries the store again every 500 ms; calls are refused until it succeeds (bounded: 5 s).
      let ok;
      let recovered = false;
      for (const end = Date.now() + 5000; !recovered && Date.now() < end;) {
        ok = (await timedCall(c, 'echo', { text: 'runs' })).msg;
        recovered = 'result' in ok;
        if (!recovered) await new Promise((res) => setTimeout(res, 100));
      }
      assert.ok(recovered, `calls run again once the store is writable: ${show(ok)}`);
      assert.deepEqual(lines(out), ['runs']);
      const rows = await rowsWhen(path.join(blocked, 'audit.db'), 4, 5000, (rs) => rs.some((x) => x.outcome === 'ok'));
      const refused = rows.filter((x) => x.error_type === 'audit_unavailable');
      assert.ok(refused.length >= 3, `the refused calls are in the trail: ${show(rows)}`);
      assert.ok(refused.every((x) => x.outcome === 'error'));
      assert.equal(rows.at(-1).outcome, 'ok');
    } finally {
      await finish(c);
    }
    const v = await audit('verify', '--db', path.join(blocked, 'audit.db'));
    assert.equal(v.code, 0, v.stdout + v.stderr);
  });

  test('fail_open: calls run, records go to the spool and are replayed into the chain in order', async () => {
    const blocked = path.join(tmp, 'open');
    fs.writeFileSync(blocked, 'not a directory\n');
    const out = path.join(tmp, 'open-out.txt');
    const spool = path.join(tmp, 'spool.jsonl');
    const file = writeConfig(tmp, `observability:\n  audit:\n    path: open/audit.db\n    spool_path: spool.jsonl\n${tools(out)}`, 'open.yaml');
    await assertConfigValid(file);
    const c = await serveStdio(file);
    try {
      for (let i = 0; i < 3; i++) assert.ok('result' in (await timedCall(c, 'echo', { text: `spooled${i}` })).msg);
      assert.deepEqual(lines(out), ['spooled0', 'spooled1', 'spooled2'], 'the calls ran');
      assert.ok(await eventually(() => lines(spool).length === 3, 5000), `3 spooled lines: ${lines(spool)}`);
      assert.equal(fs.statSync(spool).mode & 0o777, 0o600);
      const spooled = lines(spool).map((l) => JSON.parse(l));
      assert.deepEqual(spooled.map((s) => s.target), ['echo', 'echo', 'echo']);
      assert.deepEqual(spooled.map((s) => s.arguments.text), ['spooled0', 'spooled1', 'spooled2']);

      fs.rmSync(blocked);
      fs.mkdirSync(blocked);
      const db = path.join(blocked, 'audit.db');
      const rows = await rowsWhen(db, 3, 5000);
      assert.deepEqual(rows.map((r) => r.arguments.text), ['spooled0', 'spooled1', 'spooled2'], 'replayed in order');
      assert.deepEqual(rows.map((r) => r.request_id), spooled.map((s) => s.request_id));
      assert.ok(await eventually(() => lines(spool).length === 0, 2000), 'the spool is emptied');
      assert.ok(!fs.existsSync(`${spool}.replay`));

      assert.ok('result' in (await timedCall(c, 'echo', { text: 'direct' })).msg);
      const after = await rowsWhen(db, 4);
      assert.equal(after[3].arguments.text, 'direct');
      assert.equal(after[3].prev_hash, after[2].hash);
    } finally {
      await finish(c);
    }
    const v = await audit('verify', '--db', path.join(blocked, 'audit.db'));
    assert.equal(v.code, 0, v.stdout + v.stderr);
    assert.match(v.stdout, /^ok: 4 records, chain intact/);
  });
});

describe('bulwark audit command line', () => {
  test('--help for each subcommand, usage errors exit 2', async () => {
    for (const sub of ['verify', 'export', 'prune']) {
      const h = await audit(sub, '--help');
      assert.equal(h.code, 0);
      assert.match(h.stdout, new RegExp(`^usage: bulwark audit ${sub} `));
    }
    assert.equal((await audit('verify')).code, 2, 'no trail named');
    assert.equal((await audit('frobnicate')).code, 2);
    const missing = await audit('verify', '--db', '/nonexistent/audit.db');
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /No such file/);
  });
});
