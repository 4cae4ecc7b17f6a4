// Invalid exec tool sections: `bulwark check -c FILE` reports each problem at its YAML node (FILE:LINE:COL) and exits
// 1: programs that cannot be found or run, a cwd that is not a directory, placeholders and stdin naming no declared
// argument, bad environment names.

import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { bulwarkBin, runCommand, killAllSpawned } from '../lib/raw-stdio.mjs';
import { checkConfigIn, TOOLS_HEAD } from '../lib/config.mjs';

let tmp;
before(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bulwark-exec-neg-'));
  fs.writeFileSync(path.join(tmp, 'data.txt'), 'not a program\n', { mode: 0o644 });
  fs.writeFileSync(path.join(tmp, 'tool.sh'), '#!/bin/sh\necho ok\n', { mode: 0o755 });
});
after(() => fs.rmSync(tmp, { recursive: true, force: true }));
after(killAllSpawned);

const check = (name, yaml) => checkConfigIn(tmp, name, yaml);
const HEAD = TOOLS_HEAD;

describe('bulwark check -c: exec tools', () => {
  test('every mistake is reported at its node', async () => {
    const r = await check('exec.yaml', `${HEAD}  - name: a
    exec:
      command: no-such-program-bw
  - name: b
    exec:
      command: ./data.txt
  - name: c
    exec:
      command: ./missing.sh
  - name: d
    exec:
      command: ./tool.sh
      cwd: data.txt
      args: ["--x={{nope}}"]
      stdin: text
      env:
        "A-B": x
`);
    assert.equal(r.code, 1, r.stderr);
    assert.equal(r.stdout, '');
    assert.deepEqual(r.stderr.split('\n').filter(Boolean), [
      "exec.yaml:7:16: command 'no-such-program-bw' was not found in PATH (or is not executable)",
      "exec.yaml:10:16: command './data.txt': not an executable regular file (././data.txt)",
      "exec.yaml:13:16: command './missing.sh': no such file (././missing.sh)",
      "exec.yaml:17:12: cwd 'data.txt' is not an accessible directory (./data.txt)",
      "exec.yaml:18:14: {{nope}} names no property of the tool's input_schema",
      "exec.yaml:21:16: env: 'A-B' is not a variable name (expected letters, digits and '_')",
      "exec.yaml:19:14: stdin: 'text' is not a property of the tool's input_schema",
    ]);
  });

  test('a relative command is found next to the configuration file, not in the current directory', async () => {
    const sub = path.join(tmp, 'sub');
    fs.mkdirSync(sub, { recursive: true });
    fs.writeFileSync(path.join(sub, 'cfg.yaml'), `${HEAD}  - name: ok
    exec:
      command: ../tool.sh
`);
    const r = await runCommand(bulwarkBin(), ['check', '-c', path.join(sub, 'cfg.yaml')], { cwd: os.tmpdir() });
    assert.equal(r.code, 0, r.stderr);
  });
});
