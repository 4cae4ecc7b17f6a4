// Health probes over HTTP: GET/HEAD /health/live and /health/ready on `bulwark serve` (documents, statuses,
// headers, Host check kept and Origin check skipped), the startup state, and readiness following a PostgreSQL
// server that is stopped and started again (a private server from tests/pg/with-postgres.sh, which this file
// runs next to itself). Every wait is a bounded poll; the flip waits allow several check intervals plus the
// ASan build's slowness.

import { test, describe, after, before } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startHttp, finishHttp, request, post, initializeMsg, sleep } from '../lib/http.mjs';
import { bulwarkBin, killAllSpawned } from '../lib/raw-stdio.mjs';
import { startPostgres } from '../lib/postgres.mjs';

after(killAllSpawned);

const get = (s, p, opts = {}) => request(s, { method: opts.method ?? 'GET', path: p, headers: opts.headers ?? {} });

/** Poll /health/ready until pred(resp) holds or ms pass; returns the last response. */
async function readyUntil(s, pred, ms) {
  const until = Date.now() + ms;
  let r;
  for (;;) {
    r = await get(s, '/health/ready');
    if (pred(r) || Date.now() > until) return r;
    await sleep(100);
  }
}

function assertDocument(r, status, what) {
  assert.equal(r.status, status, `${what}: HTTP status (body ${r.text})`);
  assert.equal(r.headers['content-type'], 'application/json', `${what}: Content-Type`);
  assert.equal(r.headers['cache-control'], 'no-store', `${what}: Cache-Control`);
  assert.equal(typeof r.json?.version, 'string', `${what}: version in ${r.text}`);
  assert.ok(Number.isInteger(r.json.uptime_s) && r.json.uptime_s >= 0, `${what}: uptime_s in ${r.text}`);
}

describe('probe documents (bulwark serve, built-in tools)', () => {
  let s;
  before(async () => {
    s = await startHttp({ bin: bulwarkBin(), argv: ['serve', '--listen', '127.0.0.1:0'] });
  });
  after(() => finishHttp(s));

  test('GET /health/live → 200 {"status":"pass",version,uptime_s}, no checks', async () => {
    const r = await get(s, '/health/live');
    assertDocument(r, 200, 'live');
    assert.equal(r.json.status, 'pass');
    assert.equal(r.json.checks, undefined);
  });

  test('GET /health/ready → 200 pass with the built-in checks (workers, memory, draining), each required', async () => {
    const r = await get(s, '/health/ready');
    assertDocument(r, 200, 'ready');
    assert.equal(r.json.status, 'pass');
    for (const name of ['workers', 'memory', 'draining']) {
      const c = r.json.checks[name];
      assert.ok(c, `check ${name} in ${r.text}`);
      assert.equal(c.status, 'pass', name);
      assert.equal(c.required, true, name);
      assert.equal(typeof c.latency_ms, 'number', name);
      assert.equal(typeof c.detail, 'string', name);
    }
  });

  test('HEAD → the same status and headers, no body', async () => {
    for (const p of ['/health/live', '/health/ready']) {
      const r = await get(s, p, { method: 'HEAD' });
      assert.equal(r.status, 200, p);
      assert.equal(r.headers['cache-control'], 'no-store', p);
      assert.equal(r.body.length, 0, `${p}: no body`);
    }
  });

  test('POST /health/ready → 405 with Allow: GET, HEAD', async () => {
    const r = await get(s, '/health/ready', { method: 'POST' });
    assert.equal(r.status, 405);
    assert.equal(r.headers.allow, 'GET, HEAD');
  });

  test('a foreign Origin is not checked for probes, a foreign Host still is', async () => {
    const o = await get(s, '/health/ready', { headers: { Origin: 'https://evil.example' } });
    assert.equal(o.status, 200, o.text);
    const h = await get(s, '/health/ready', { headers: { Host: 'evil.example' } });
    assert.equal(h.status, 403, h.text);
    // /mcp keeps its Origin check.
    const m = await post(s, initializeMsg(), { headers: { Origin: 'https://evil.example' } });
    assert.equal(m.status, 403, m.text);
  });
});

// ------------------------------------------------------------------------------------------------------------
// PostgreSQL stop/start

const HEALTH_SECTION = 'reliability:\n  health: {interval_ms: 200, check_timeout_ms: 1000}\n';

describe('readiness follows PostgreSQL', () => {
  test('starting (503) while the database never answered, 200 once it does, 503 when it stops, 200 when it returns', async (t) => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bw-health-'));
    const pg = await startPostgres();
    let s;
    try {
      const cfg = path.join(dir, 'bulwark.yaml');
      fs.writeFileSync(cfg, `server: {name: health-pg, version: "1"}\n${HEALTH_SECTION}` +
        `databases:\n  main:\n    driver: postgres\n    conninfo: "${pg.conninfo}"\n` +
        '    pool: {min: 0, max: 2}\n');
      pg.stop();
      s = await startHttp({ bin: bulwarkBin(), argv: ['serve', '-c', cfg, '--listen', '127.0.0.1:0'] });
      // Checks every 200 ms; allow many rounds for a loaded machine under ASan.
      const FLIP_MS = 20000;
      let r = await get(s, '/health/ready');
      assertDocument(r, 503, 'ready before the first successful check');
      assert.equal(r.json.status, 'starting', r.text);
      assert.equal(r.json.checks['db:main']?.required, true, r.text);
      assert.equal(r.json.checks['db:main'].status, 'fail', r.text);
      assert.equal((await get(s, '/health/live')).status, 200, 'liveness does not depend on the database');

      let t0 = Date.now();
      pg.start();
      r = await readyUntil(s, (x) => x.status === 200, FLIP_MS);
      assertDocument(r, 200, 'ready after PostgreSQL started');
      assert.equal(r.json.status, 'pass');
      assert.equal(r.json.checks['db:main'].status, 'pass', r.text);
      t.diagnostic(`starting → pass ${Date.now() - t0} ms after pg_ctl start returned`);

      t0 = Date.now();
      pg.stop();
      r = await readyUntil(s, (x) => x.status === 503, FLIP_MS);
      assertDocument(r, 503, 'ready after PostgreSQL stopped');
      assert.equal(r.json.status, 'fail', 'a failure after start-up is "fail", not "starting"');
      assert.equal(r.json.checks['db:main'].status, 'fail', r.text);
      assert.ok(r.json.checks['db:main'].detail.length > 0, r.text);
      assert.doesNotMatch(r.json.checks['db:main'].detail, /user=|dbname=/, 'the detail does not echo the connection string');
      t.diagnostic(`pass → fail ${Date.now() - t0} ms after pg_ctl stop returned`);

      t0 = Date.now();
      pg.start();
      r = await readyUntil(s, (x) => x.status === 200, FLIP_MS);
      assertDocument(r, 200, 'ready after PostgreSQL came back');
      assert.equal(r.json.checks['db:main'].status, 'pass', r.text);
      t.diagnostic(`fail → pass ${Date.now() - t0} ms after pg_ctl start returned`);
    } finally {
      await finishHttp(s);
      await pg.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
