// Invalid http tool sections: `bulwark check -c FILE` reports each problem at its YAML node (FILE:LINE:COL) and exits
// 1; templates are checked against the tool's input_schema, the URL's scheme and host must be literal, the body and
// the JSON pointer are checked before anything is served.

import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { killAllSpawned } from '../lib/raw-stdio.mjs';
import { checkConfigIn, TOOLS_HEAD } from '../lib/config.mjs';

let tmp;
before(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bulwark-http-neg-'));
});
after(() => fs.rmSync(tmp, { recursive: true, force: true }));
after(killAllSpawned);

const check = (name, yaml) => checkConfigIn(tmp, name, yaml);
const HEAD = TOOLS_HEAD;

describe('bulwark check -c: http tools', () => {
  test('every mistake is reported at its node', async () => {
    const r = await check('http.yaml', `${HEAD}  - name: a
    input_schema:
      type: object
      properties:
        id: {type: string}
    http:
      url: http://{id}.example.com/x
  - name: b
    http:
      url: https://api.example.com/users/{user}
      query:
        q: "{query}"
      headers:
        X-Token: "{{token}}"
        Bad Header: x
      extract: "/a/~2"
  - name: c
    http:
      method: GET
      url: ftp://example.com/
      body: {a: 1}
      ca_file: no-such-ca.pem
  - name: d
    http:
      url: http://example.com/{+x}
`);
    assert.equal(r.code, 1, r.stderr);
    assert.equal(r.stdout, '');
    assert.deepEqual(r.stderr.split('\n').filter(Boolean), [
      'http.yaml:11:12: url must name a literal host (arguments may fill the path and the query only)',
      "http.yaml:14:12: {user} names no property of the tool's input_schema",
      "http.yaml:16:12: {query} names no property of the tool's input_schema",
      "http.yaml:18:18: {{token}} names no property of the tool's input_schema",
      "http.yaml:19:21: header name 'Bad Header' is not a valid HTTP token",
      `http.yaml:20:16: extract: '~' in a JSON pointer must be followed by 0 or 1 ("~0" is '~', "~1" is '/')`,
      'http.yaml:24:12: url must start with http:// or https://',
      'http.yaml:25:13: a body is sent with POST, PUT, PATCH or DELETE only (method is GET)',
      "http.yaml:26:16: ca_file 'no-such-ca.pem' cannot be read (./no-such-ca.pem)",
      "http.yaml:29:12: url: URL template operator '{+' is not supported (only level 1: {name})",
    ]);
  });

  test('a valid http tool passes', async () => {
    const r = await check('ok.yaml', `${HEAD}  - name: ok
    input_schema:
      type: object
      properties:
        id: {type: integer}
    http:
      method: PUT
      url: https://api.example.com/users/{id}
      body: {id: "{{id}}"}
      extract: /data
`);
    assert.equal(r.code, 0, r.stderr);
  });
});
