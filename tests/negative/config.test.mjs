// Invalid configuration files: `bulwark check -c FILE` (and `serve -c`) print every problem as FILE:LINE:COL: message
// and exit 1; usage errors exit 2. Fixtures: tests/fixtures/config/*.yaml (run from that directory so FILE is the
// bare name).

import { test, describe, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { bulwarkBin, runCommand, killAllSpawned, TESTS_DIR } from '../lib/raw-stdio.mjs';

after(killAllSpawned);

const FIXTURES = path.join(TESTS_DIR, 'fixtures', 'config');

function check(file, env = {}) {
  return runCommand(bulwarkBin(), ['check', '-c', file], { cwd: FIXTURES, env });
}

function lines(text) {
  return text.split('\n').filter((l) => l.length > 0);
}

async function expectInvalid(file, expected, env = {}) {
  const r = await check(file, env);
  assert.equal(r.code, 1, `exit 1 for ${file}; stderr:\n${r.stderr}`);
  assert.deepEqual(lines(r.stderr), expected);
  assert.equal(r.stdout, '', 'nothing on stdout');
}

const SERVER_KEYS = 'name, version, title, description, website_url, instructions';

describe('bulwark check -c: each kind of mistake', () => {
  test('YAML syntax error', () => expectInvalid('yaml_syntax.yaml', [
    'yaml_syntax.yaml:3:9: invalid YAML: mapping values are not allowed in this context',
  ]));

  test('unknown keys, at the key, with the keys allowed there', () => expectInvalid('unknown_key.yaml', [
    `unknown_key.yaml:3:3: unknown key 'instructoins' (expected one of: ${SERVER_KEYS})`,
    "unknown_key.yaml:4:1: unknown key 'transport' (expected one of: version, server, transports, limits, "
      + 'stateless, reliability, observability, databases, tools, resources, resource_templates, prompts)',
  ]));

  test('wrong types, in file order, with the YAML 1.1 boolean hint', () => expectInvalid('wrong_type.yaml', [
    'wrong_type.yaml:4:12: limits.workers: expected integer, got string',
    'wrong_type.yaml:5:14: limits.page_size: expected integer, got number',
    'wrong_type.yaml:8:16: transports.http.stateless: expected boolean, got string (YAML 1.2 reads yes/no/on/off '
      + 'as text: write true or false)',
  ]));

  test('missing required keys', () => expectInvalid('missing_required.yaml', [
    'missing_required.yaml:2:3: server: missing required property "name"',
    'missing_required.yaml:4:5: resources[0]: missing required property "uri"',
  ]));

  test('a value outside an enum', () => expectInvalid('bad_enum.yaml', [
    'bad_enum.yaml:4:12: transports.default: "websocket" is not one of the enum values "stdio", "http"',
  ]));

  test('an unset environment variable (a default is fine)', () => expectInvalid('unset_env.yaml', [
    "unset_env.yaml:2:9: environment variable 'BW_FIXTURE_UNSET_NAME' is not set "
      + '(use ${BW_FIXTURE_UNSET_NAME:-default} to give a default)',
  ]));

  test('a set variable makes the same file valid', async () => {
    const r = await check('unset_env.yaml', { BW_FIXTURE_UNSET_NAME: 'named' });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'unset_env.yaml: ok: 0 tools, 0 resources, 0 resource templates, 0 prompts, 0 databases\n');
  });

  test('a missing ${file:...}', () => expectInvalid('missing_file.yaml', [
    'missing_file.yaml:3:17: ${file:does-not-exist.txt}: cannot read ./does-not-exist.txt: No such file or directory',
  ]));

  test('a duplicate key', () => expectInvalid('duplicate_key.yaml', [
    "duplicate_key.yaml:4:3: duplicate key 'name' (first written at line 2)",
  ]));

  test('a duplicate tool name, at the second, naming the first', () => expectInvalid('duplicate_tool.yaml', [
    "duplicate_tool.yaml:6:11: duplicate tool name 'hello' (first defined at line 4)",
  ]));

  test('unreadable TLS files', () => expectInvalid('tls_missing.yaml', [
    'tls_missing.yaml:7:17: cannot read the TLS certificate ./no-such.crt: No such file or directory',
    'tls_missing.yaml:7:35: cannot read the TLS key ./no-such.key: No such file or directory',
  ]));

  test('several errors in one file: all reported, in file order', () => expectInvalid('several_errors.yaml', [
    `several_errors.yaml:3:3: unknown key 'colour' (expected one of: ${SERVER_KEYS})`,
    'several_errors.yaml:5:12: limits.workers: 0 is less than minimum 1',
    'several_errors.yaml:6:16: limits.queue_depth: expected integer, got string',
    'several_errors.yaml:8:5: tools[0]: a tool needs exactly one provider section: sql, http or exec',
    'several_errors.yaml:10:5: tools[1]: a tool needs exactly one provider section: sql, http or exec',
    'several_errors.yaml:14:5: resources[0]: a resource needs exactly one of text, file or directory',
    'several_errors.yaml:17:15: prompts[0].messages: has 0 items, fewer than minItems 1',
  ]));

  test('secrets never appear in messages', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bw-config-neg-'));
    try {
      fs.writeFileSync(path.join(dir, 'secret.txt'), 'hunter2-file\n');
      const file = path.join(dir, 'c.yaml');
      fs.writeFileSync(file, 'server:\n  name: ${BW_SECRET}\n  title: ${file:secret.txt}\n  colour: x\n'
        + 'limits: {workers: "${BW_SECRET}"}\n');
      const r = await runCommand(bulwarkBin(), ['check', '-c', file], { env: { BW_SECRET: 'hunter2-env' } });
      assert.equal(r.code, 1);
      assert.deepEqual(lines(r.stderr), [
        `${file}:4:3: unknown key 'colour' (expected one of: ${SERVER_KEYS})`,
        `${file}:5:19: limits.workers: expected integer, got string`,
      ]);
      assert.ok(!r.stderr.includes('hunter2'));
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('bulwark check: files and usage', () => {
  test('a file that does not exist → exit 1', async () => {
    const r = await check('no-such-file.yaml');
    assert.equal(r.code, 1);
    assert.deepEqual(lines(r.stderr), ['no-such-file.yaml: cannot read the configuration: No such file or directory']);
  });

  test('a file over 4 MiB is refused without being parsed', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bw-config-neg-'));
    try {
      const file = path.join(dir, 'big.yaml');
      fs.writeFileSync(file, `server: {name: big}\n# ${'x'.repeat(4 << 20)}\n`);
      const r = await runCommand(bulwarkBin(), ['check', '-c', file]);
      assert.equal(r.code, 1);
      assert.deepEqual(lines(r.stderr), [`${file}: cannot read the configuration: larger than 4 MiB`]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('a directory is not a configuration', async () => {
    const r = await check('.');
    assert.equal(r.code, 1);
    assert.deepEqual(lines(r.stderr), ['.: cannot read the configuration: not a regular file']);
  });

  for (const args of [['check', '-c'], ['check', '--bogus'], ['check', '-c', 'a.yaml', '-c', 'b.yaml'],
    ['serve', '-c'], ['serve', '-c', 'minimal.yaml', '--stdio', '--listen', '127.0.0.1:0'],
    ['serve', '-c', 'minimal.yaml', '--listen', 'nope']]) {
    test(`usage error: ${args.join(' ')} → exit 2`, async () => {
      const r = await runCommand(bulwarkBin(), args, { cwd: FIXTURES });
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, /^bulwark (check|serve): /);
      assert.equal(r.stdout, '');
    });
  }

  test('serve -c with an invalid file prints every problem and serves nothing (exit 1)', async () => {
    const r = await runCommand(bulwarkBin(), ['serve', '-c', 'several_errors.yaml', '--stdio'], {
      cwd: FIXTURES,
      input: '{"jsonrpc":"2.0","id":1,"method":"ping"}\n',
    });
    assert.equal(r.code, 1);
    assert.equal(lines(r.stderr).length, 7);
    assert.ok(lines(r.stderr).every((l) => l.startsWith('several_errors.yaml:')));
    assert.equal(r.stdout, '', 'nothing answered');
  });

  test('serve --stateless on stdio is a usage error', async () => {
    const r = await runCommand(bulwarkBin(), ['serve', '-c', 'minimal.yaml', '--stateless'], { cwd: FIXTURES });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /--stateless needs the HTTP transport/);
  });
});
