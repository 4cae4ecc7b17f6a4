// `bulwark serve -c FILE`: the server identity comes from the file, the transport from transports.* unless
// --stdio / --listen / --stateless override it, HTTPS with the configured certificate, and `check -c` on a valid
// file. Configurations live in tests/fixtures/config or are written to a temporary directory per test.

import { test, describe, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import https from 'node:https';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { bulwarkBin, runCommand, killAllSpawned, registerChild, TESTS_DIR, WAIT_MS, LATEST } from '../lib/raw-stdio.mjs';
import { connectSdk, REQ_OPTS } from '../lib/sdk.mjs';
import { startHttp, finishHttp, initSession, announcedUrl } from '../lib/http.mjs';

after(killAllSpawned);

const MINIMAL = path.join(TESTS_DIR, 'fixtures', 'config', 'minimal.yaml');

function tempDir(t) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bw-config-it-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function writeConfig(dir, text) {
  const file = path.join(dir, 'bulwark.yaml');
  fs.writeFileSync(file, text);
  return file;
}

/** A port that was free a moment ago (the server binding it later is the test's subject). */
function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

describe('serve -c over stdio', () => {
  test('initialize returns serverInfo and instructions from the file', async () => {
    const s = await connectSdk({ bin: bulwarkBin(), args: ['serve', '-c', MINIMAL] });
    try {
      const info = s.client.getServerVersion();
      assert.equal(info.name, 'fixture-server');
      assert.equal(info.version, '2.3.4');
      assert.equal(info.title, 'Fixture server');
      assert.equal(s.client.getInstructions(), 'Call nothing; this server only says who it is.');
      assert.equal(s.client.getServerCapabilities().tools, undefined, 'no tools configured, no tools capability');
      assert.deepEqual(await s.client.ping(REQ_OPTS), {});
      s.assertNoErrors();
    } finally {
      const st = await s.close();
      assert.equal(st.code, 0, `exit 0 after stdin closes; stderr: ${s.stderr()}`);
    }
  });

  test('--stdio overrides transports.default: http', async (t) => {
    const dir = tempDir(t);
    const file = writeConfig(dir, 'server: {name: from-http-file}\ntransports: {default: http, http: {listen: '
      + "'127.0.0.1:1'}}\n");
    const s = await connectSdk({ bin: bulwarkBin(), args: ['serve', '-c', file, '--stdio'] });
    try {
      assert.equal(s.client.getServerVersion().name, 'from-http-file');
      assert.equal(s.client.getServerVersion().version.length > 0, true, 'version defaults to bulwark\'s');
    } finally {
      assert.equal((await s.close()).code, 0);
    }
  });

  test('tools, resources and prompts from the file are served', async (t) => {
    const dir = tempDir(t);
    const file = writeConfig(dir, [
      'server: {name: with-entries}',
      'tools:',
      '  - name: say',
      '    description: Echoes its text.',
      '    input_schema: {type: object, properties: {text: {type: string}}, required: [text]}',
      "    exec: {command: /bin/echo, args: ['{{text}}']}",
      'resources:',
      '  - {uri: "mem://motd", text: "hello there"}',
      'prompts:',
      '  - name: greet',
      '    arguments: [{name: who, required: true}]',
      "    messages: [{role: user, text: 'Greet {{who}}'}]",
      '',
    ].join('\n'));
    const check = await runCommand(bulwarkBin(), ['check', '-c', file]);
    assert.equal(check.code, 0, check.stderr);
    assert.equal(check.stdout, `${file}: ok: 1 tools, 1 resources, 0 resource templates, 1 prompts, 0 databases\n`);
    const s = await connectSdk({ bin: bulwarkBin(), args: ['serve', '-c', file] });
    try {
      const tools = (await s.client.listTools(undefined, REQ_OPTS)).tools;
      assert.deepEqual(tools.map((x) => x.name), ['say']);
      const r = await s.client.callTool({ name: 'say', arguments: { text: 'hi; rm -rf /' } }, undefined, REQ_OPTS);
      assert.equal(r.isError ?? false, false);
      assert.match(r.content[0].text, /^hi; rm -rf \/\n?$/);
      const res = await s.client.readResource({ uri: 'mem://motd' }, REQ_OPTS);
      assert.equal(res.contents[0].text, 'hello there');
      const p = await s.client.getPrompt({ name: 'greet', arguments: { who: 'Ada' } }, REQ_OPTS);
      assert.equal(p.messages[0].content.text, 'Greet Ada');
    } finally {
      assert.equal((await s.close()).code, 0);
    }
  });
});

describe('serve -c over HTTP', () => {
  test('transports.default: http listens on the file\'s address', async (t) => {
    const dir = tempDir(t);
    const port = await freePort();
    const file = writeConfig(dir, `server: {name: http-file}\ntransports:\n  default: http\n  http: {listen: '127.0.0.1:${port}'}\n`);
    const srv = await startHttp({ bin: bulwarkBin(), argv: ['serve', '-c', file] });
    try {
      assert.equal(srv.port, port);
      const { result } = await initSession(srv, LATEST);
      assert.equal(result.serverInfo.name, 'http-file');
    } finally {
      await finishHttp(srv);
    }
  });

  test('--listen overrides transports.http.listen, --stateless transports.http.stateless', async (t) => {
    const dir = tempDir(t);
    const port = await freePort();
    const file = writeConfig(dir, `server: {name: overridden}\ntransports:\n  default: http\n  http: {listen: '127.0.0.1:${port}'}\n`);
    const srv = await startHttp({ bin: bulwarkBin(), argv: ['serve', '-c', file, '--listen', '127.0.0.1:0', '--stateless'] });
    try {
      assert.notEqual(srv.port, port, 'the command line wins');
      const { result, session } = await initSession(srv, LATEST, { initialized: false });
      assert.equal(result.serverInfo.name, 'overridden');
      assert.equal(session, undefined, 'stateless: no Mcp-Session-Id');
    } finally {
      await finishHttp(srv);
    }
  });
});

/** Starts `serve -c file` and resolves with the URL of its ready line (http or https). */
function startServe(args) {
  const proc = spawn(bulwarkBin(), args, { stdio: ['ignore', 'pipe', 'pipe'] });
  registerChild(proc);
  let err = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ready line; stderr: ${err}`)), WAIT_MS);
    proc.stderr.on('data', (c) => {
      err += c;
      const url = err.split('\n').slice(0, -1).map((l) => announcedUrl(l)).find((u) => u !== null);
      if (url) {
        clearTimeout(timer);
        resolve({ proc, url, stderr: () => err });
      }
    });
    proc.once('close', (code) => {
      clearTimeout(timer);
      reject(new Error(`exited ${code}; stderr: ${err}`));
    });
  });
}

function httpsPost(url, body, ca) {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    const req = https.request({
      host: u.hostname, port: u.port, path: u.pathname, method: 'POST', ca, timeout: WAIT_MS,
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
    }, (res) => {
      let text = '';
      res.on('data', (c) => { text += c; });
      res.on('end', () => resolve({ status: res.statusCode, text }));
    });
    req.on('error', reject);
    req.end(JSON.stringify(body));
  });
}

describe('serve -c with TLS', () => {
  test('serves HTTPS with the configured certificate; a client trusting it gets initialize through', async (t) => {
    const dir = tempDir(t);
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
      '-keyout', path.join(dir, 'key.pem'), '-out', path.join(dir, 'cert.pem'), '-days', '1', '-subj', '/CN=127.0.0.1',
      '-addext', 'subjectAltName=IP:127.0.0.1'], { stdio: 'ignore' });
    const file = writeConfig(dir, 'server: {name: tls-server}\ntransports:\n  default: http\n  http:\n'
      + "    listen: '127.0.0.1:0'\n    tls: {cert: cert.pem, key: key.pem}\n");
    const s = await startServe(['serve', '-c', file]);
    try {
      assert.match(s.url, /^https:\/\/127\.0\.0\.1:\d+\/mcp$/);
      const ca = fs.readFileSync(path.join(dir, 'cert.pem'));
      const init = { jsonrpc: '2.0', id: 1, method: 'initialize',
        params: { protocolVersion: LATEST, capabilities: {}, clientInfo: { name: 't', version: '0' } } };
      const r = await httpsPost(s.url, init, ca);
      assert.equal(r.status, 200, r.text);
      const msg = JSON.parse(r.text.startsWith('{') ? r.text : /^data: (.*)$/m.exec(r.text)[1]);
      assert.equal(msg.result.serverInfo.name, 'tls-server');
      // Without the certificate trusted, the TLS handshake is refused by the client.
      await assert.rejects(httpsPost(s.url, init, undefined), /self[- ]signed|certificate/i);
    } finally {
      s.proc.kill('SIGTERM');
      const code = await new Promise((resolve) => s.proc.once('close', resolve));
      assert.equal(code, 0, s.stderr());
      assert.ok(!/AddressSanitizer|runtime error:/.test(s.stderr()), s.stderr());
    }
  });

  test('a certificate that is not PEM is a configuration error', async (t) => {
    const dir = tempDir(t);
    fs.writeFileSync(path.join(dir, 'cert.pem'), 'not a certificate\n');
    fs.writeFileSync(path.join(dir, 'key.pem'), '-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n');
    const file = writeConfig(dir, 'server: {name: tls}\ntransports:\n  http:\n    tls: {cert: cert.pem, key: key.pem}\n');
    const r = await runCommand(bulwarkBin(), ['check', '-c', file]);
    assert.equal(r.code, 1);
    assert.equal(r.stderr, `${file}:4:17: the TLS certificate ${dir}/cert.pem is not in PEM format (expected a `
      + "'-----BEGIN ...' line)\n");
  });
});
