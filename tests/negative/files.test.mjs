// Attacks on the files provider and mistakes in files/prompts configuration, against the real binary:
// path traversal through resource templates (../, absolute, percent-encoded, symlinks out, hidden files), special
// files (a FIFO must not block), and invalid configurations that `bulwark check` reports as FILE:LINE:COL messages.

import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { killAllSpawned, bulwarkBin, runCommand } from '../lib/raw-stdio.mjs';
import { connectSdk, finishSdk, expectMcpError, REQ_OPTS } from '../lib/sdk.mjs';

after(killAllSpawned);

let tmp;

function put(rel, data) {
  const p = path.join(tmp, rel);
  fs.mkdirSync(path.dirname(p), { recursive: true });
  fs.writeFileSync(p, data);
  return p;
}

before(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bulwark-files-neg-'));
  put('root/docs/readme.md', '# Readme\n');
  put('root/docs/sub/deep.md', '# Deep\n');
  put('root/docs/.secret.md', 'hidden\n');
  put('root/secret.md', 'outside the served directory\n');
  fs.symlinkSync('../secret.md', path.join(tmp, 'root/docs/escape.md'));
  fs.symlinkSync('/etc/passwd', path.join(tmp, 'root/docs/passwd.md'));
  execFileSync('mkfifo', [path.join(tmp, 'root/docs/pipe.md')]);
});

after(() => {
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

describe('path traversal through a resource template is refused as not found', () => {
  let s;
  before(async () => {
    const cfg = put('root/bulwark.yaml', [
      'server: {name: neg, version: 1.0.0}',
      'resource_templates:',
      '  - uri_template: "doc://{name}"',
      '    name: doc',
      '    directory: docs',
      '    path: "{name}.md"',
      '  - uri_template: "tree://{dir}/{file}"',
      '    name: tree',
      '    directory: docs',
      '    path: "{dir}/{file}"',
      '',
    ].join('\n'));
    s = await connectSdk({ bin: bulwarkBin(), args: ['serve', '-c', cfg, '--stdio'] });
  });
  after(async () => finishSdk(s));

  test('the legitimate reads work', async () => {
    const r = await s.client.readResource({ uri: 'doc://readme' }, REQ_OPTS);
    assert.equal(r.contents[0].text, '# Readme\n');
    const d = await s.client.readResource({ uri: 'tree://sub/deep.md' }, REQ_OPTS);
    assert.equal(d.contents[0].text, '# Deep\n');
  });

  const attacks = [
    'doc://..%2Fsecret', 'doc://%2e%2e%2fsecret', 'doc://%2E%2E%2Fsecret', 'doc://%2Fetc%2Fpasswd',
    'doc://..%2F..%2F..%2F..%2Fetc%2Fpasswd', 'doc://escape', 'doc://passwd', 'doc://.secret', 'doc://%2esecret',
    'doc://sub%2Fdeep', 'doc://readme%00', 'doc://%', 'tree://../secret.md', 'tree://%2e%2e/secret.md',
    'tree://docs/..%2F..%2Fsecret.md', 'doc://pipe',
  ];
  for (const uri of attacks) {
    test(`${uri} -> -32002`, async () => {
      const t0 = Date.now();
      const err = await expectMcpError(s.client.readResource({ uri }, REQ_OPTS), -32002);
      assert.doesNotMatch(err.message, /secret|passwd|outside/, 'the error reveals nothing about the file');
      assert.ok(Date.now() - t0 < 5000, 'answered at once (a FIFO never blocks)');
    });
  }
});

/** The line:col where `needle` starts in `text` (1-based). */
function pos(text, needle) {
  const i = text.indexOf(needle);
  assert.ok(i >= 0, needle);
  const before = text.slice(0, i).split('\n');
  return `${before.length}:${before[before.length - 1].length + 1}`;
}

describe('configuration mistakes are reported at their YAML position', () => {
  const cases = [
    ['a missing directory', 'resources:\n  - uri: "x://d/"\n    directory: nowhere\n', 'nowhere',
      /cannot open directory '.*\/nowhere': No such file or directory \(expected an existing directory\)/],
    ['a missing file', 'resources:\n  - uri: "x://f"\n    file: docs/nope.md\n', 'docs/nope.md',
      /file '.*\/docs\/nope\.md' does not exist \(expected an existing regular file\)/],
    ['a special file', 'resources:\n  - uri: "x://f"\n    file: docs/pipe.md\n', 'docs/pipe.md',
      /is not a readable regular file/],
    ['a template path variable the URI lacks',
      'resource_templates:\n  - uri_template: "x://{a}"\n    name: t\n    directory: docs\n    path: "{b}.md"\n', '"{b}.md"',
      /path uses \{b\}, which uri_template 'x:\/\/\{a\}' does not define/],
    ['a template path leaving the directory',
      'resource_templates:\n  - uri_template: "x://{a}"\n    name: t\n    directory: docs\n    path: "../{a}"\n', '"../{a}"',
      /path '\.\.\/\{a\}' must be relative/],
    ['a level-2 template', 'resource_templates:\n  - uri_template: "x://{+a}"\n    name: t\n    directory: docs\n    path: "{a}"\n',
      '"x://{+a}"', /only level-1 \{name\} variables/],
    ['an undeclared placeholder',
      'prompts:\n  - name: p\n    messages:\n      - role: user\n        text: "Hi {{who}}"\n', '"Hi {{who}}"',
      /placeholder \{\{who\}\} names no declared argument/],
    ['an unknown embedded resource',
      'prompts:\n  - name: p\n    messages:\n      - role: user\n        resource: "x://none"\n', '"x://none"',
      /resource 'x:\/\/none' is not defined by resources or resource_templates/],
    ['an enum value of the wrong type',
      'prompts:\n  - name: p\n    arguments:\n      - {name: n, type: integer, enum: ["1", "two"]}\n    messages:\n      - role: user\n        text: "{{n}}"\n',
      '"two"', /enum value 'two' of argument 'n' is not of its type integer/],
  ];
  for (const [what, body, needle, re] of cases) {
    test(what, async () => {
      const yaml = `server: {name: neg, version: 1.0.0}\n${body}`;
      const file = put(`root/bad-${what.replace(/\W+/g, '-')}.yaml`, yaml);
      const r = await runCommand(bulwarkBin(), ['check', '-c', file]);
      assert.equal(r.code, 1, `exit status (stderr: ${r.stderr})`);
      const line = r.stderr.split('\n').find((l) => re.test(l));
      assert.ok(line, `no message matching ${re} in:\n${r.stderr}`);
      assert.ok(line.startsWith(`${file}:${pos(yaml, needle)}: `), `position of: ${line}`);
    });
  }
});
