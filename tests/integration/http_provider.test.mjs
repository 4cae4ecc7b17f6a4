// The http provider end to end: `bulwark serve -c` on a temporary configuration whose tools call a node:http server
// on 127.0.0.1 started by this test, driven by the official SDK client (1.x) over stdio. What the upstream server
// receives (request line, headers, body) and what the client gets back (content, structuredContent, isError).

import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { killAllSpawned, bulwarkBin } from '../lib/raw-stdio.mjs';
import { connectSdk, finishSdk, REQ_OPTS } from '../lib/sdk.mjs';

let tmp;
let s;
let upstream;
let port;
const seen = []; // every request the upstream received: { method, url, headers, body }

function startUpstream() {
  upstream = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      seen.push({ method: req.method, url: req.url, headers: req.headers, body: Buffer.concat(chunks).toString() });
      const route = req.url.split('?')[0];
      if (route === '/missing') {
        res.writeHead(404, { 'Content-Type': 'text/plain' }).end('no such customer');
      } else if (route.startsWith('/customers/')) {
        res.writeHead(200, { 'Content-Type': 'application/json' })
          .end(JSON.stringify({ data: { customer: { id: 7, name: 'Ann' }, tags: ['a', 'b'] } }));
      } else {
        res.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8' }).end('accepted');
      }
    });
  });
  return new Promise((resolve) => upstream.listen(0, '127.0.0.1', () => resolve(upstream.address().port)));
}

function config() {
  return `
server:
  name: http-test
  version: 1.0.0
tools:
  - name: get_customer
    description: A customer by id.
    input_schema:
      type: object
      properties:
        id: {type: string}
        fields: {type: string}
      required: [id]
    http:
      url: http://127.0.0.1:${port}/customers/{id}
      query:
        fields: "{fields}"
      headers:
        Authorization: Bearer \${BW_HTTP_TEST_TOKEN}
      extract: /data/customer
  - name: tags
    input_schema:
      type: object
      properties:
        id: {type: string}
    http:
      url: http://127.0.0.1:${port}/customers/{id}
      extract: /data/tags
  - name: create_note
    input_schema:
      type: object
      properties:
        customer: {type: integer}
        text: {type: string}
        labels: {type: array, items: {type: string}}
    http:
      method: POST
      url: http://127.0.0.1:${port}/notes
      headers:
        X-Customer: "{{customer}}"
      body:
        customer: "{{customer}}"
        text: "Note: {{text}}"
        labels: "{{labels}}"
        source: bulwark
  - name: missing
    http:
      url: http://127.0.0.1:${port}/missing
`;
}

before(async () => {
  port = await startUpstream();
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bulwark-http-'));
  fs.writeFileSync(path.join(tmp, 'bulwark.yaml'), config());
  process.env.BW_HTTP_TEST_TOKEN = 's3cret-token';
  s = await connectSdk({ bin: bulwarkBin(), args: ['serve', '-c', path.join(tmp, 'bulwark.yaml'), '--stdio'] });
});

after(async () => {
  await finishSdk(s);
  upstream?.close();
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});
after(killAllSpawned);

const call = (name, args) => s.client.callTool({ name, arguments: args }, undefined, REQ_OPTS);

describe('http provider over stdio', () => {
  test('arguments are percent-encoded into the path and query; the secret header comes from the environment',
    async () => {
      const r = await call('get_customer', { id: '../admin?x=1&y#z', fields: 'name email/ü' });
      assert.deepEqual(r.structuredContent, { id: 7, name: 'Ann' });
      assert.deepEqual(r.content, [{ type: 'text', text: '{"id":7,"name":"Ann"}' }]);
      assert.equal(r.isError, undefined);
      const req = seen.at(-1);
      assert.equal(req.method, 'GET');
      assert.equal(req.url, '/customers/..%2Fadmin%3Fx%3D1%26y%23z?fields=name%20email%2F%C3%BC');
      assert.equal(req.headers.authorization, 'Bearer s3cret-token');
      assert.match(req.headers['user-agent'], /^bulwark\/\d+\.\d+\.\d+$/);
    });

  test('an optional query parameter is left out when its argument is missing', async () => {
    await call('get_customer', { id: '7' });
    assert.equal(seen.at(-1).url, '/customers/7');
  });

  test('a non-object extracted value is wrapped as {result}', async () => {
    const r = await call('tags', { id: '7' });
    assert.deepEqual(r.structuredContent, { result: ['a', 'b'] });
  });

  test('JSON body templates keep argument types', async () => {
    const r = await call('create_note', { customer: 7, text: 'hi "there"', labels: ['x', 'y'] });
    assert.deepEqual(r.content, [{ type: 'text', text: 'accepted' }]);
    const req = seen.at(-1);
    assert.equal(req.method, 'POST');
    assert.equal(req.headers['content-type'], 'application/json');
    assert.equal(req.headers['x-customer'], '7');
    assert.deepEqual(JSON.parse(req.body), { customer: 7, text: 'Note: hi "there"', labels: ['x', 'y'], source: 'bulwark' });
    await call('create_note', { text: 'only text' });
    assert.deepEqual(JSON.parse(seen.at(-1).body), { text: 'Note: only text', source: 'bulwark' });
    assert.equal(seen.at(-1).headers['x-customer'], undefined);
  });

  test('an HTTP error status is a tool error with the body excerpt', async () => {
    const r = await call('missing', {});
    assert.equal(r.isError, true);
    assert.deepEqual(r.content, [{ type: 'text', text: 'HTTP 404 Not Found: no such customer' }]);
  });

  test('a missing required argument is refused before any request is sent', async () => {
    const before = seen.length;
    const r = await call('get_customer', {});
    assert.equal(r.isError, true);
    assert.match(r.content[0].text, /id/);
    assert.equal(seen.length, before);
  });
});
