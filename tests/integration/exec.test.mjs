// The exec provider end to end: `bulwark serve -c` on a temporary configuration whose tools run real programs
// (tests/fixtures/exec), driven by the official SDK client (1.x) over stdio: argv without a shell, the environment
// allowlist, stdin, exit status mapping, JSON output, and a timeout that leaves no process behind.

import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { killAllSpawned, bulwarkBin, runCommand, TESTS_DIR } from '../lib/raw-stdio.mjs';
import { connectSdk, finishSdk, REQ_OPTS } from '../lib/sdk.mjs';

const FIXTURES = path.join(TESTS_DIR, 'fixtures', 'exec');
let tmp;
let s;

const CONFIG = `
server:
  name: exec-test
  version: 1.0.0
tools:
  - name: show_args
    input_schema:
      type: object
      properties:
        name: {type: string}
        files: {type: array, items: {type: string}}
    exec:
      command: ${FIXTURES}/argv.sh
      args: ["--name={{name}}", "{{files}}"]
  - name: show_env
    exec:
      command: env
      env:
        MODE: test
  - name: upper
    input_schema:
      type: object
      properties:
        text: {type: string}
    exec:
      command: tr
      args: [a-z, A-Z]
      stdin: text
  - name: fail
    exec:
      command: ${FIXTURES}/fail.sh
  - name: tempfail
    exec:
      command: sh
      args: ["-c", "exit 75"]
      transient_exit_codes: [75, 76]
  - name: as_json
    input_schema:
      type: object
      properties:
        doc: {type: string}
    exec:
      command: printf
      args: ["%s", "{{doc}}"]
      output: json
  - name: tree
    input_schema:
      type: object
      properties:
        file: {type: string}
    exec:
      command: ./tree.sh
      cwd: ${FIXTURES}
      args: ["{{file}}"]
      timeout_ms: 400
      kill_grace_ms: 100
`;

before(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bulwark-exec-'));
  fs.writeFileSync(path.join(tmp, 'bulwark.yaml'), CONFIG);
  fs.copyFileSync(path.join(FIXTURES, 'tree.sh'), path.join(tmp, 'tree.sh'));
  fs.chmodSync(path.join(tmp, 'tree.sh'), 0o755);
  process.env.BW_EXEC_TEST_SECRET = 'do-not-leak';
  s = await connectSdk({ bin: bulwarkBin(), args: ['serve', '-c', path.join(tmp, 'bulwark.yaml'), '--stdio'] });
});

after(async () => {
  await finishSdk(s);
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});
after(killAllSpawned);

const call = (name, args) => s.client.callTool({ name, arguments: args }, undefined, REQ_OPTS);

function gone(pid) {
  try {
    process.kill(pid, 0);
  } catch (e) {
    return e.code === 'ESRCH';
  }
  // A zombie reparented to init counts as gone.
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  return /\) [ZX] /.test(stat);
}

describe('exec provider over stdio', () => {
  test('shell metacharacters stay inside one argv element; arrays expand to one element per item', async () => {
    const r = await call('show_args', { name: '; rm -rf / #', files: ['a b', '$(id)', '`id`'] });
    assert.deepEqual(r.content, [{ type: 'text', text: '4\n[--name=; rm -rf / #]\n[a b]\n[$(id)]\n[`id`]\n' }]);
    assert.deepEqual(r.structuredContent, {
      exit_code: 0, stdout: '4\n[--name=; rm -rf / #]\n[a b]\n[$(id)]\n[`id`]\n', stderr: '',
    });
  });

  test("the program sees only the allowlisted environment, never bulwark's secrets", async () => {
    const r = await call('show_env', {});
    const text = r.content[0].text;
    assert.match(text, /^MODE=test$/m);
    assert.doesNotMatch(text, /BW_EXEC_TEST_SECRET|do-not-leak/);
  });

  test('stdin comes from an argument', async () => {
    const r = await call('upper', { text: 'hello, world' });
    assert.equal(r.content[0].text, 'HELLO, WORLD');
  });

  test('a non-zero exit is a tool error with the stderr excerpt', async () => {
    const r = await call('fail', {});
    assert.equal(r.isError, true);
    assert.deepEqual(r.content, [{ type: 'text', text: 'exit status 3: oops: the thing failed' }]);
  });

  test('transient_exit_codes: a transient exit is still a tool error with its status', async () => {
    const r = await call('tempfail', {});
    assert.equal(r.isError, true);
    assert.deepEqual(r.content, [{ type: 'text', text: 'exit status 75' }]);
  });

  test('transient_exit_codes outside 1..255 are configuration errors', async () => {
    const file = path.join(tmp, 'bad.yaml');
    fs.writeFileSync(file, 'server: {name: x, version: 1.0.0}\ntools:\n  - name: t\n    exec: {command: true, ' +
      'transient_exit_codes: [75, 0]}\n');
    const r = await runCommand(bulwarkBin(), ['check', '-c', file]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /tools\[0\]\.exec\.transient_exit_codes\[1\]: 0 is less than minimum 1/);
  });

  test('output: json parses stdout into structuredContent', async () => {
    const r = await call('as_json', { doc: '{"total": 3, "ok": true}' });
    assert.deepEqual(r.structuredContent, { total: 3, ok: true });
    const bad = await call('as_json', { doc: 'oops' });
    assert.equal(bad.isError, true);
    assert.match(bad.content[0].text, /^stdout is not valid JSON: /);
  });

  test('a timeout kills the whole process tree (TERM, then KILL) and leaves nothing behind', async () => {
    const pidfile = path.join(tmp, 'pids');
    const t0 = Date.now();
    const r = await call('tree', { file: pidfile });
    assert.ok(Date.now() - t0 < 5000);
    assert.equal(r.isError, true);
    assert.deepEqual(r.content, [{ type: 'text', text: 'timed out after 400 ms' }]);
    const pids = fs.readFileSync(pidfile, 'utf8').trim().split(' ').map(Number);
    assert.equal(pids.length, 2);
    for (let i = 0; i < 100 && !pids.every(gone); i++) await new Promise((res) => setTimeout(res, 20));
    assert.ok(pids.every(gone), `processes ${pids} are gone`);
  });
});
