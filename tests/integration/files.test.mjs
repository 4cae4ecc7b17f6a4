// The files and prompts providers end to end: `bulwark serve -c` on a temporary configuration and directory tree,
// driven by the official SDK client (1.x) over stdio. Listing (URIs, names, MIME types, sizes), text and blob reads
// compared with the bytes on disk, resource templates, prompts with typed arguments and an embedded resource, and
// completion of enum arguments.

import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { killAllSpawned, bulwarkBin } from '../lib/raw-stdio.mjs';
import { connectSdk, finishSdk, sdkListAll, expectMcpError, REQ_OPTS } from '../lib/sdk.mjs';

const PNG = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0xff, 0x10]);

const CONFIG = `
server:
  name: files-test
  version: 1.0.0
resources:
  - uri: kb://docs/
    directory: docs
    name: docs
    description: The knowledge base.
  - uri: kb://about
    title: About
    text: "About this server \u2713"
  - uri: kb://logo
    file: docs/img/logo.png
resource_templates:
  - uri_template: kb://guide/{name}
    name: guide
    description: A guide by name.
    directory: docs/guides
    path: "{name}.md"
prompts:
  - name: review
    title: Review
    description: Review a customer.
    arguments:
      - name: customer_id
        type: integer
        required: true
      - name: depth
        enum: [quick, full, forensic]
      - name: strict
        type: boolean
    messages:
      - role: user
        resource: kb://docs/guides/intro.md
      - role: user
        text: "Review customer {{customer_id}} ({{ depth }}, strict={{strict}})."
      - role: assistant
        text: Understood.
`;

let tmp;
let s;

function put(rel, data) {
  const p = path.join(tmp, rel);
  fs.mkdirSync(path.dirname(p), { recursive: true });
  fs.writeFileSync(p, data);
}

before(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bulwark-files-'));
  put('docs/guides/intro.md', '# Intro\n');
  put('docs/guides/setup.md', '# Setup\n\nRun it.\n');
  put('docs/data/orders.csv', 'id,total\n1,250\n');
  put('docs/img/logo.png', PNG);
  put('docs/my notes.txt', 'spaces and ü\n');
  put('docs/.env', 'SECRET=1\n');
  put('secret.txt', 'outside\n');
  fs.symlinkSync('../secret.txt', path.join(tmp, 'docs/escape.txt'));
  fs.symlinkSync('guides/intro.md', path.join(tmp, 'docs/intro-link.md'));
  put('bulwark.yaml', CONFIG);
  s = await connectSdk({ bin: bulwarkBin(), args: ['serve', '-c', path.join(tmp, 'bulwark.yaml'), '--stdio'] });
});

after(async () => {
  await finishSdk(s); // first: it checks the clean exit that killAllSpawned would pre-empt
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});
after(killAllSpawned);

describe('files provider over stdio', () => {
  test('resources/list shows every served file with URI, name, MIME type and size', async () => {
    const list = await sdkListAll((p) => s.client.listResources(p, REQ_OPTS), 'resources');
    const size = (rel) => fs.statSync(path.join(tmp, 'docs', rel)).size;
    const doc = (rel, uri, mimeType) => ({
      uri: `kb://docs/${uri}`, name: `docs/${rel}`, mimeType, size: size(rel), description: 'The knowledge base.',
    });
    assert.deepEqual(list, [
      doc('data/orders.csv', 'data/orders.csv', 'text/csv'),
      doc('guides/intro.md', 'guides/intro.md', 'text/markdown'),
      doc('guides/setup.md', 'guides/setup.md', 'text/markdown'),
      doc('img/logo.png', 'img/logo.png', 'image/png'),
      doc('intro-link.md', 'intro-link.md', 'text/markdown'),
      doc('my notes.txt', 'my%20notes.txt', 'text/plain'),
      { uri: 'kb://about', name: 'about', title: 'About', mimeType: 'text/plain', size: 21 },
      { uri: 'kb://logo', name: 'logo.png', mimeType: 'image/png', size: PNG.length },
    ]);
  });

  test('text files read as text, binary files as base64 blobs, equal to the bytes on disk', async () => {
    const csv = await s.client.readResource({ uri: 'kb://docs/data/orders.csv' }, REQ_OPTS);
    assert.deepEqual(csv.contents, [{ uri: 'kb://docs/data/orders.csv', mimeType: 'text/csv', text: 'id,total\n1,250\n' }]);
    const spaced = await s.client.readResource({ uri: 'kb://docs/my%20notes.txt' }, REQ_OPTS);
    assert.equal(spaced.contents[0].text, 'spaces and ü\n');
    for (const uri of ['kb://docs/img/logo.png', 'kb://logo']) {
      const logo = await s.client.readResource({ uri }, REQ_OPTS);
      assert.deepEqual(logo.contents, [{ uri, mimeType: 'image/png', blob: PNG.toString('base64') }]);
    }
    const about = await s.client.readResource({ uri: 'kb://about' }, REQ_OPTS);
    assert.deepEqual(about.contents, [{ uri: 'kb://about', mimeType: 'text/plain', text: 'About this server \u2713' }]);
  });

  test('files are read on every request', async () => {
    put('docs/guides/setup.md', '# Setup v2\n');
    const r = await s.client.readResource({ uri: 'kb://docs/guides/setup.md' }, REQ_OPTS);
    assert.equal(r.contents[0].text, '# Setup v2\n');
  });

  test('a resource template maps its variable to a file', async () => {
    const t = await s.client.listResourceTemplates({}, REQ_OPTS);
    assert.deepEqual(t.resourceTemplates, [{
      uriTemplate: 'kb://guide/{name}', name: 'guide', description: 'A guide by name.', mimeType: 'text/markdown',
    }]);
    const r = await s.client.readResource({ uri: 'kb://guide/intro' }, REQ_OPTS);
    assert.deepEqual(r.contents, [{ uri: 'kb://guide/intro', mimeType: 'text/markdown', text: '# Intro\n' }]);
    await expectMcpError(s.client.readResource({ uri: 'kb://guide/missing' }, REQ_OPTS), -32002);
  });

  test('hidden files and symlinks leading outside are not served', async () => {
    for (const uri of ['kb://docs/.env', 'kb://docs/escape.txt', 'kb://guide/..%2F..%2Fsecret']) {
      await expectMcpError(s.client.readResource({ uri }, REQ_OPTS), -32002);
    }
  });
});

describe('prompts provider over stdio', () => {
  test('prompts/list shows the arguments', async () => {
    const r = await s.client.listPrompts({}, REQ_OPTS);
    assert.deepEqual(r.prompts, [{
      name: 'review',
      title: 'Review',
      description: 'Review a customer.',
      arguments: [
        { name: 'customer_id', required: true },
        { name: 'depth', required: false },
        { name: 'strict', required: false },
      ],
    }]);
  });

  test('prompts/get renders the arguments and embeds the resource', async () => {
    const r = await s.client.getPrompt({ name: 'review', arguments: { customer_id: '42', depth: 'full', strict: 'true' } },
      REQ_OPTS);
    assert.deepEqual(r, {
      description: 'Review a customer.',
      messages: [
        { role: 'user', content: { type: 'resource', resource: { uri: 'kb://docs/guides/intro.md', mimeType: 'text/markdown', text: '# Intro\n' } } },
        { role: 'user', content: { type: 'text', text: 'Review customer 42 (full, strict=true).' } },
        { role: 'assistant', content: { type: 'text', text: 'Understood.' } },
      ],
    });
  });

  test('bad arguments are invalid params with the reason', async () => {
    const cases = [
      [{}, /missing required argument "customer_id"/],
      [{ customer_id: 'abc' }, /argument "customer_id" must be an integer/],
      [{ customer_id: '1', depth: 'deep' }, /argument "depth" must be one of: quick, full, forensic/],
      [{ customer_id: '1', strict: 'yes' }, /argument "strict" must be true or false/],
      [{ customer_id: '1', other: 'x' }, /prompt review has no argument "other"/],
    ];
    for (const [args, re] of cases) {
      await expectMcpError(s.client.getPrompt({ name: 'review', arguments: args }, REQ_OPTS), -32602, re);
    }
  });

  test('completion offers the enum values matching the prefix', async () => {
    const complete = (value) => s.client.complete(
      { ref: { type: 'ref/prompt', name: 'review' }, argument: { name: 'depth', value } }, REQ_OPTS);
    assert.deepEqual((await complete('f')).completion, { values: ['full', 'forensic'], total: 2 });
    assert.deepEqual((await complete('')).completion, { values: ['quick', 'full', 'forensic'], total: 3 });
  });
});
