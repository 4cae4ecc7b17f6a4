// The official MCP conformance suite 0.2.0-alpha.12 against ONE bulwark-everything over Streamable HTTP, three runs:
// `--suite all` (65 scenarios), `--suite all --spec-version 2026-07-28` (40, modern wire) and `--suite all
// --spec-version 2025-11-25` (33, legacy wire). Each run must produce every expected scenario's checks.json, have
// no FAILURE, WARNING or SKIPPED check (the one exemption: the always-SKIPPED tasks-status-notifications check), and
// the CLI must exit 0. At the end the server must exit 0 on SIGTERM with no sanitizer report. See run-0.2.mjs.
// The first test checks the judge itself on made-up results, so a weakened judge cannot pass silently.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import {
  judgeRun, readRunResults, startTarget, executeRun, stopTarget, formatRun, makeOutRoot, removeOutRootIfEmpty, RUNS, RUN_NAMES,
  EXEMPTION,
} from './run-0.2.mjs';
import { killAllSpawned } from '../lib/raw-stdio.mjs';
import { SANITIZE } from '../lib/http.mjs';

const RUN_TIMEOUT = SANITIZE ? 540_000 : 300_000;

let server;
let outRoot;

before(async () => {
  server = await startTarget();
  outRoot = makeOutRoot();
  console.log(`server pid ${server.pid}: ${server.readyLine}; results under ${outRoot}`);
});

after(async () => {
  await killAllSpawned();
  if (outRoot) removeOutRootIfEmpty(outRoot);
});

const ok = (id) => ({ id, status: 'SUCCESS' });

test('the judge fails every non-SUCCESS/INFO check but the one exemption, and missing or extra scenarios', () => {
  const clean = judgeRun(new Map([['a', [ok('x'), { id: 'i', status: 'INFO' }]],
    [EXEMPTION.scenario, [{ id: EXEMPTION.id, status: 'SKIPPED' }]]]), ['a', EXEMPTION.scenario]);
  assert.deepEqual(clean.problems, []);
  assert.equal(clean.exempted.length, 1);

  for (const status of ['FAILURE', 'WARNING', 'SKIPPED', 'BOGUS', undefined]) {
    const j = judgeRun(new Map([['a', [ok('x'), { id: 'y', status }]]]), ['a']);
    assert.deepEqual(j.bad.map((c) => `${c.scenario} ${c.id}`), ['a y'], `status ${status} is bad`);
  }
  // Only one SKIPPED check of the exempt scenario, with the exempt id, is tolerated.
  const twice = judgeRun(new Map([[EXEMPTION.scenario, [{ id: EXEMPTION.id, status: 'SKIPPED' },
    { id: EXEMPTION.id, status: 'SKIPPED' }]]]), [EXEMPTION.scenario]);
  assert.equal(twice.bad.length, 1);
  const otherId = judgeRun(new Map([[EXEMPTION.scenario, [{ id: 'other', status: 'SKIPPED' }]]]), [EXEMPTION.scenario]);
  assert.equal(otherId.bad.length, 1);
  const elsewhere = judgeRun(new Map([['a', [{ id: EXEMPTION.id, status: 'SKIPPED' }]]]), ['a']);
  assert.equal(elsewhere.bad.length, 1);

  const gaps = judgeRun(new Map([['a', [ok('x')]], ['z', [ok('x')]], ['e', []]]), ['a', 'b', 'e']);
  assert.deepEqual(gaps.missing, ['b']);
  assert.deepEqual(gaps.extra, ['z']);
  assert.equal(gaps.problems.length, 3, gaps.problems.join('\n'));
});

test('a scenario directory without checks.json counts as missing; an unparsable one is reported', () => {
  const dir = makeOutRoot();
  try {
    const ts = '2026-11-21T23-53-06-163Z';
    for (const s of ['a', 'b', 'c']) fs.mkdirSync(path.join(dir, `server-${s}-${ts}`));
    fs.writeFileSync(path.join(dir, `server-a-${ts}`, 'checks.json'), JSON.stringify([ok('x')]));
    fs.writeFileSync(path.join(dir, `server-c-${ts}`, 'checks.json'), '[{"id":');
    const { results, unreadable } = readRunResults(dir);
    assert.deepEqual([...results.keys()], ['a']);
    assert.equal(unreadable.length, 1, unreadable.join('\n'));
    assert.match(unreadable[0], /^c: unreadable /);
    assert.deepEqual(judgeRun(results, ['a', 'b', 'c']).missing, ['b', 'c']);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

for (const name of RUN_NAMES) {
  const run = RUNS[name];
  const title = `run ${name} (--suite all${run.specVersion ? ` --spec-version ${run.specVersion}` : ''}): ` +
    `${run.scenarios.length} scenarios, no FAILURE/WARNING/SKIPPED, CLI exit 0`;
  test(title, { timeout: RUN_TIMEOUT }, async () => {
    assert.ok(server, 'the server started');
    const rep = await executeRun(server, name, outRoot, { log: (s) => console.log(s) });
    const report = formatRun(rep);
    console.log(report);
    assert.deepEqual(rep.judgement.missing, [], 'every expected scenario produced checks.json');
    assert.deepEqual(rep.judgement.bad.map((c) => `${c.scenario}: ${c.status} ${c.id}`), [],
      'no check is FAILURE, WARNING or SKIPPED (see the report above)');
    assert.equal(rep.cli.code, 0, 'the conformance CLI exits 0');
    assert.deepEqual(rep.problems, [], report);
  });
}

test('the server exits 0 on SIGTERM after all runs, with no sanitizer report', async () => {
  assert.ok(server, 'the server started');
  const stop = await stopTarget(server);
  assert.deepEqual(stop.problems, [], `server stderr (tail):\n${server.stderr.slice(-2000)}`);
});
