// `bulwark supervise`: the real binary supervising fixture children (tests/fixtures/supervise) and the real
// `bulwark serve --stdio`. What is asserted is what an operator or a client notices: exit statuses, the log lines
// on stderr, the start times the children log, the bytes a client reads on stdout, and the process table (every
// fixture carries a unique marker on its command line; after each test, no process carrying it may remain).
//
// Timing: only lower bounds are asserted (a restart never comes before its backoff delay), which load cannot
// break; every wait is bounded by WAIT_MS (15 s by default, for a loaded 2-core machine running the ASan build).

import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  bulwarkBin, registerChild, killAllSpawned, runCommand, RawClient, isResponseTo, textOf, LATEST, CLIENT_INFO,
  TESTS_DIR, WAIT_MS,
} from '../lib/raw-stdio.mjs';
import { connectSdk, expectMcpError, REQ_OPTS } from '../lib/sdk.mjs';

const FIXTURES = path.join(TESTS_DIR, 'fixtures', 'supervise');
let tmp;
let seq = 0;

before(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bulwark-supervise-'));
});
after(async () => {
  await killAllSpawned();
  // A test that failed half-way may leave a fixture's grandchild (perl 'sleep 300') holding the supervisor's stdio
  // pipes, which would keep this file running until ctest's timeout: kill whatever carries one of our markers.
  for (const p of processesWith(`bwsup-${process.pid}-`)) {
    try {
      process.kill(p.pid, 'SIGKILL');
    } catch {
      // gone meanwhile
    }
  }
  fs.rmSync(tmp, { recursive: true, force: true });
});

/** A fresh marker and a log file path for one test. */
function scenario() {
  seq += 1;
  const marker = `bwsup-${process.pid}-${seq}-${Date.now()}`;
  return { marker, log: path.join(tmp, `${marker}.log`) };
}

/** Every process (other than this one) whose command line contains `marker`: [{pid, cmdline}]. */
function processesWith(marker) {
  const found = [];
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name) || Number(name) === process.pid) continue;
    let cmdline;
    try {
      cmdline = fs.readFileSync(`/proc/${name}/cmdline`, 'utf8');
    } catch {
      continue; // gone meanwhile
    }
    if (cmdline.includes(marker)) found.push({ pid: Number(name), cmdline: cmdline.replaceAll('\0', ' ').trim() });
  }
  return found;
}

/** Polls `probe` every 20 ms until it returns a truthy value; fails after `ms`. */
async function until(probe, what, ms = WAIT_MS) {
  const end = Date.now() + ms;
  for (;;) {
    const v = probe();
    if (v) return v;
    if (Date.now() > end) assert.fail(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Asserts that no process carries the marker; processes get a moment to be reaped by their parents. */
async function assertNoOrphans(marker) {
  const end = Date.now() + 2000;
  let left = processesWith(marker);
  while (left.length && Date.now() < end) {
    await new Promise((r) => setTimeout(r, 20));
    left = processesWith(marker);
  }
  assert.deepEqual(left, [], 'processes left behind');
}

function readLines(file) {
  try {
    return fs.readFileSync(file, 'utf8').split('\n').filter(Boolean);
  } catch {
    return [];
  }
}

/** Starts `bulwark supervise OPTS -- CMD...`; returns { proc, stderr(), exited }. */
function supervise(opts, cmd) {
  const proc = spawn(bulwarkBin(), ['supervise', ...opts, '--', ...cmd], { stdio: ['pipe', 'pipe', 'pipe'] });
  registerChild(proc);
  const err = [];
  proc.stderr.on('data', (c) => err.push(c));
  proc.stdout.on('data', () => {});
  proc.stdin.on('error', () => {});
  const exited = new Promise((resolve) => proc.once('close', (code, signal) => resolve({ code, signal })));
  return { proc, stderr: () => Buffer.concat(err).toString('utf8'), exited };
}

/** Waits for the exit, bounded; kills by pid on timeout. */
async function exitOf(s, ms = WAIT_MS) {
  let timer;
  const timeout = new Promise((r) => {
    timer = setTimeout(() => r('timeout'), ms);
  });
  const r = await Promise.race([s.exited, timeout]);
  clearTimeout(timer);
  if (r === 'timeout') {
    process.kill(s.proc.pid, 'SIGKILL');
    assert.fail(`the supervisor did not exit within ${ms} ms; stderr:\n${s.stderr()}`);
  }
  return r;
}

/** The child pids the supervisor logged ("started X (pid N)"). */
function startedPids(stderr) {
  return [...stderr.matchAll(/started .* \(pid (\d+)\)/g)].map((m) => Number(m[1]));
}

describe('bulwark supervise: restarts', () => {
  test('a crashing child is restarted with doubling delays, then the crash-loop limit ends it with exit 3', async () => {
    const { marker, log } = scenario();
    const s = supervise(['--max-restarts', '3', '--window', '60', '--backoff-initial', '100', '--backoff-max', '10000'],
      ['sh', path.join(FIXTURES, 'crash.sh'), log, marker]);
    const { code } = await exitOf(s);
    const err = s.stderr();
    assert.equal(code, 3, err);
    const starts = readLines(log).map(Number);
    assert.equal(starts.length, 4, `1 start + 3 restarts; stderr:\n${err}`);
    for (const [i, delay] of [100, 200, 400].entries()) {
      assert.match(err, new RegExp(`exited with status 7 after \\d+ ms; restarting in ${delay} ms \\(restart ${i + 1} of 3 within 60 s\\)`));
      // A restart never comes before its delay (2 ms of slack: date(1) and the monotonic clock may round apart).
      assert.ok(starts[i + 1] - starts[i] >= delay - 2, `start ${i + 1} came ${starts[i + 1] - starts[i]} ms after start ${i}, before the ${delay} ms backoff`);
    }
    assert.match(err, /giving up: child pid \d+ exited with status 7, and 3 restart\(s\) within 60 s is the limit \(crash loop\); exit status 3/);
    await assertNoOrphans(marker);
  });

  test('a run longer than --min-uptime counts as healthy: the delay starts over instead of doubling', async () => {
    const { marker, log } = scenario();
    const s = supervise(['--max-restarts', '2', '--backoff-initial', '50', '--min-uptime', '100'],
      ['sh', path.join(FIXTURES, 'crash.sh'), log, marker, '0.3']);
    const { code } = await exitOf(s);
    const err = s.stderr();
    assert.equal(code, 3, err);
    assert.equal(readLines(log).length, 3);
    assert.equal((err.match(/restarting in 50 ms/g) || []).length, 2, err);
    assert.doesNotMatch(err, /restarting in 100 ms/);
    await assertNoOrphans(marker);
  });

  test('exit status 0 ends the supervision without a restart', async () => {
    const { marker } = scenario();
    const s = supervise([], ['sh', '-c', 'exit 0', marker]);
    assert.equal((await exitOf(s)).code, 0);
    assert.equal(startedPids(s.stderr()).length, 1);
    assert.doesNotMatch(s.stderr(), /restarting/);
  });

  test('a child over --max-rss is stopped and restarted, and counts towards the crash-loop limit', async () => {
    const { marker, log } = scenario();
    const s = supervise(['--max-rss', '32M', '--rss-interval', '100', '--max-restarts', '1', '--backoff-initial', '50'],
      ['sh', path.join(FIXTURES, 'hog.sh'), log, marker]);
    const { code } = await exitOf(s);
    const err = s.stderr();
    assert.equal(code, 3, err);
    assert.equal(readLines(log).length, 2, err);
    assert.match(err, /child pid \d+ uses \d+ bytes resident, over the limit of 33554432; stopping it for a restart/);
    assert.match(err, /child pid \d+ exceeded the memory limit after \d+ ms; restarting in 50 ms/);
    await assertNoOrphans(marker);
  });
});

describe('bulwark supervise: signals and the process table', () => {
  test('SIGHUP is forwarded; SIGTERM is forwarded and stops the child and its grandchild (exit 143)', async () => {
    const { marker, log } = scenario();
    const s = supervise(['--grace', '3000'], ['sh', path.join(FIXTURES, 'tree.sh'), log, marker]);
    const ready = await until(() => readLines(log).find((l) => l.startsWith('ready ')), 'the child to be ready');
    const [, childPid, sleeperPid] = ready.split(' ').map(Number);
    await until(() => {
      const running = processesWith(marker).map((p) => p.pid);
      return running.includes(childPid) && running.includes(sleeperPid);
    }, `child ${childPid} and grandchild ${sleeperPid} to show in /proc`);
    // The supervisor's "started" line reaches this process through a pipe: wait for it before counting.
    await until(() => startedPids(s.stderr()).length >= 1, 'the supervisor\'s "started" line');

    process.kill(s.proc.pid, 'SIGHUP');
    await until(() => readLines(log).includes('hup'), 'the child to log the forwarded SIGHUP');
    assert.equal(s.proc.exitCode, null, 'SIGHUP does not stop the supervisor');
    assert.equal(startedPids(s.stderr()).length, 1, 'nor restart the child');

    process.kill(s.proc.pid, 'SIGTERM');
    const { code } = await exitOf(s);
    assert.equal(code, 143, s.stderr());
    assert.match(s.stderr(), /forwarding signal 15 \(Terminated\) to pid \d+; stopping/);
    await assertNoOrphans(marker);
  });

  test('a child that ignores SIGTERM is killed with its group after --grace', async () => {
    const { marker, log } = scenario();
    const s = supervise(['--grace', '300'], ['sh', '-c', `trap '' TERM; echo "ready $$" >> "$0"; while :; do sleep 1; done`, log, marker]);
    await until(() => readLines(log).length, 'the child to be ready');
    process.kill(s.proc.pid, 'SIGTERM');
    const { code } = await exitOf(s);
    assert.equal(code, 137, s.stderr());
    assert.match(s.stderr(), /did not end within 300 ms; killing its process group/);
    await assertNoOrphans(marker);
  });

  test('a descendant that left the process group (setsid) is killed when the child ends', async () => {
    const { marker, log } = scenario();
    const s = supervise([], ['sh', '-c', `setsid perl -e 'sleep 300' -- "$1-escaped" & echo "ready $!" >> "$0"; sleep 0.5; exit 0`, log, marker]);
    await until(() => readLines(log).length, 'the escapee to start');
    assert.equal((await exitOf(s)).code, 0, s.stderr());
    await assertNoOrphans(marker);
  });

  test('SIGKILL to the supervisor: the child dies too (PR_SET_PDEATHSIG)', async () => {
    const { marker, log } = scenario();
    const s = supervise([], ['sh', path.join(FIXTURES, 'idle.sh'), log, marker]);
    await until(() => readLines(log).length, 'the child to be ready');
    await until(() => processesWith(marker).some((p) => p.cmdline.startsWith('perl')), 'the sleeper to run');
    process.kill(s.proc.pid, 'SIGKILL');
    await exitOf(s);
    await assertNoOrphans(marker);
  });
});

describe('bulwark supervise: command line', () => {
  test('--help explains the options and the exit statuses', async () => {
    const r = await runCommand(bulwarkBin(), ['supervise', '--help']);
    assert.equal(r.code, 0);
    for (const opt of ['--max-restarts', '--window', '--backoff-initial', '--backoff-max', '--min-uptime', '--max-rss',
      '--rss-interval', '--grace', '--stdio', '--max-line', '--quiet', 'Exit status', 'crash loop']) {
      assert.ok(r.stdout.includes(opt), `--help mentions ${opt}`);
    }
  });

  test('usage errors exit 2; a command that cannot start exits 1', async () => {
    for (const args of [['supervise'], ['supervise', '--max-restarts', 'x', '--', 'true'], ['supervise', '--max-rss', '12Q', '--', 'true'],
      ['supervise', '--bogus', '--', 'true']]) {
      const r = await runCommand(bulwarkBin(), args);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, /^bulwark supervise: /);
    }
    const r = await runCommand(bulwarkBin(), ['supervise', '--', path.join(tmp, 'no-such-program')]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /cannot start .*no-such-program: No such file or directory/);
  });

  test('--help after COMMAND (with or without --) belongs to the command', async () => {
    for (const sep of [['--'], []]) {
      const r = await runCommand(bulwarkBin(), ['supervise', '--quiet', ...sep, 'sh', '-c', 'echo "$1"', 'sh', '--help']);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout, '--help\n');
    }
  });
});

describe('bulwark supervise --stdio: a transparent MCP command', () => {
  const serve = () => ['--stdio', '--backoff-initial', '50', '--', bulwarkBin(), 'serve', '--stdio'];

  test('an SDK client talks to `bulwark supervise --stdio -- bulwark serve --stdio` as to the server itself', async () => {
    const s = await connectSdk({ bin: bulwarkBin(), args: ['supervise', ...serve()] });
    const { tools } = await s.client.listTools({}, REQ_OPTS);
    assert.ok(tools.some((t) => t.name === 'echo'));
    const r = await s.client.callTool({ name: 'echo', arguments: { text: 'through the relay' } }, undefined, REQ_OPTS);
    assert.equal(r.content[0].text, 'through the relay');
    s.assertNoErrors();
    const st = await s.close();
    assert.equal(st.code, 0, s.stderr());
    for (const pid of startedPids(s.stderr())) assert.ok(!fs.existsSync(`/proc/${pid}`), `server pid ${pid} is gone`);
  });

  test('across a crash: the request in flight gets -32000 "server restarted", the session goes on', async () => {
    const s = await connectSdk({ bin: bulwarkBin(), args: ['supervise', ...serve()] });
    // slow_count reports progress every 200 ms: the first report proves the call is in flight on the server.
    let progressed;
    const inFlight = new Promise((r) => {
      progressed = r;
    });
    const slow = s.client.callTool({ name: 'slow_count', arguments: { to: 50 } }, undefined,
      { ...REQ_OPTS, onprogress: () => progressed() });
    const [pid] = await until(() => startedPids(s.stderr()).length && startedPids(s.stderr()), 'the start log line');
    await Promise.race([inFlight, slow.catch(() => {})]);
    process.kill(pid, 'SIGKILL');
    await expectMcpError(slow, -32000, /server restarted/);
    await until(() => startedPids(s.stderr()).length === 2, 'the restart');
    const r = await s.client.callTool({ name: 'echo', arguments: { text: 'after the restart' } }, undefined, REQ_OPTS);
    assert.equal(r.content[0].text, 'after the restart', 'the restarted server was re-initialized with the client\'s handshake');
    assert.match(s.stderr(), /answered 1 request\(s\) in flight with error -32000 "server restarted"/);
    s.assertNoErrors();
    assert.equal((await s.close()).code, 0, s.stderr());
  });

  test('half a line left by a crashed child never reaches the client', async () => {
    const { marker } = scenario();
    const state = path.join(tmp, `${marker}.state`);
    const c = new RawClient(bulwarkBin(), ['supervise', '--stdio', '--backoff-initial', '50', '--',
      'sh', path.join(FIXTURES, 'partial.sh'), state, bulwarkBin(), marker]);
    const params = { protocolVersion: LATEST, capabilities: {}, clientInfo: CLIENT_INFO };
    const first = await c.request('initialize', params, { id: 'init-1' });
    assert.deepEqual(first.error, { code: -32000, message: 'server restarted' });
    const second = await c.call('initialize', params);
    assert.equal(second.protocolVersion, LATEST);
    await c.notify('notifications/initialized');
    const r = await c.call('tools/call', { name: 'echo', arguments: { text: 'clean' } });
    assert.equal(textOf(r), 'clean');
    assert.equal(c.messages.filter((m) => isResponseTo('init-1')(m.msg)).length, 1, 'exactly one answer to the first initialize');
    const st = await c.close();
    c.assertCleanStdout();
    assert.equal(st.code, 0);
    assert.match(Buffer.concat(c.stderrChunks).toString(), /dropped an unfinished line \(\d+ bytes\) the server left on stdout/);
    await assertNoOrphans(marker);
  });
});
