// The command lines: `bulwark` (version, usage errors, `serve --stdio` with the SDK client, EOF and SIGTERM)
// and `bulwark-everything` (--version, usage errors).

import { test, describe, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  bulwarkBin, everythingBin, runCommand, killAllSpawned, RawClient, REVISIONS, WAIT_MS, textOf, finish,
} from '../lib/raw-stdio.mjs';
import { connectSdk, sdkListAll, REQ_OPTS } from '../lib/sdk.mjs';

after(killAllSpawned);

describe('bulwark', () => {
  test('version → exit 0, names the version and every supported revision', async () => {
    const r = await runCommand(bulwarkBin(), ['version']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^bulwark \d+\.\d+\.\d+/);
    for (const rev of REVISIONS) assert.ok(r.stdout.includes(rev), `mentions ${rev}`);
  });

  test('an unknown command → exit 2, a message on stderr, nothing on stdout', async () => {
    const r = await runCommand(bulwarkBin(), ['no-such-command']);
    assert.equal(r.code, 2);
    assert.ok(r.stderr.length > 0);
    assert.equal(r.stdout, '');
  });

  test('serve --stdio works with the SDK client', async () => {
    const s = await connectSdk({ bin: bulwarkBin(), args: ['serve', '--stdio'] });
    try {
      assert.equal(s.client.getServerVersion().name, 'bulwark');
      const tools = await sdkListAll((p, o) => s.client.listTools(p, o), 'tools');
      assert.ok(tools.length > 0);
      for (const t of tools) {
        assert.ok(t.description?.length > 0, `${t.name}: description`);
        assert.equal(t.inputSchema.type, 'object');
      }
      if (tools.some((t) => t.name === 'echo')) {
        const r = await s.client.callTool({ name: 'echo', arguments: { text: 'héllo\nwörld' } }, undefined, REQ_OPTS);
        assert.equal(textOf(r), 'héllo\nwörld');
      }
      assert.deepEqual(await s.client.ping(REQ_OPTS), {});
      s.assertNoErrors();
    } finally {
      const st = await s.close();
      assert.equal(st.code, 0, 'exit 0 after stdin closes');
    }
  });

  test('serve --stdio: SIGTERM while idle → exit 0', async () => {
    const c = new RawClient(bulwarkBin(), ['serve', '--stdio']);
    try {
      await c.initialize();
      await c.assertAlive();
      process.kill(c.pid, 'SIGTERM');
      const st = await Promise.race([c.exited, new Promise((r) => setTimeout(() => r('timeout'), WAIT_MS).unref())]);
      assert.notEqual(st, 'timeout', 'exits after SIGTERM');
      assert.equal(st.code, 0);
      await finish(c);
    } finally {
      await c.kill();
    }
  });
});

describe('bulwark-everything', () => {
  test('--version → exit 0', async () => {
    const r = await runCommand(everythingBin(), ['--version']);
    assert.equal(r.code, 0);
    assert.match(r.stdout, /^bulwark-everything \d+\.\d+\.\d+/);
  });

  test('--help → exit 0 and lists the documented options', async () => {
    const r = await runCommand(everythingBin(), ['--help']);
    assert.equal(r.code, 0);
    for (const o of ['--page-size', '--workers', '--max-message-bytes', '--max-depth', '--request-timeout-ms']) {
      assert.ok(r.stdout.includes(o), `documents ${o}`);
    }
  });

  for (const args of [['--bogus'], ['--page-size', '0'], ['--page-size', 'abc'], ['--max-depth'], ['--workers', '-1']]) {
    test(`${args.join(' ')} → usage error: exit 2, message on stderr, nothing on stdout`, async () => {
      const r = await runCommand(everythingBin(), args);
      assert.equal(r.code, 2, `exit status (stderr: ${r.stderr})`);
      assert.ok(r.stderr.length > 0);
      assert.equal(r.stdout, '');
    });
  }
});
