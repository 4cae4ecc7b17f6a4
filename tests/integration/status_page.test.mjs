// GET /status in a real browser (issue 7, "Live status page"): headless Chromium (Debian's /usr/bin/chromium, driven
// by playwright-core) loads the page while bounded load runs against the server, and checks that
//   - the page is self-contained: no request leaves for another origin, no console error, no CSP violation;
//   - it connects to /events and the numbers move (the request count grows between two snapshots, the charts are
//     drawn, recent calls appear with their status);
//   - once the load stops and the next snapshot arrives, its per-tool call counts equal /metrics exactly
//     (mcp_tool_calls_total summed over status), as do its health checks and the failing tool's errors;
// and saves a screenshot to <dir of BULWARK_BIN>/test-output/status-page.png (the path is printed).
//
// Without /usr/bin/chromium the test fails with a clear message (scripts/bootstrap installs it).

import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { killAllSpawned, bulwarkBin } from '../lib/raw-stdio.mjs';
import { finishHttp, SANITIZE, sleep } from '../lib/http.mjs';
import { makeTmp, rmTmp, startServe, metricSum, McpHttp, httpGet, writeTwoToolConfig } from '../lib/events.mjs';

after(killAllSpawned);

const CHROMIUM = '/usr/bin/chromium';
const SLOW = SANITIZE ? 4 : 1;

function config(tmp) {
  return writeTwoToolConfig(tmp, { name: 'status-page-test', version: '2.0.0' });
}

/** Load until stop() (or maxCalls / maxMs): sequential batches of `one` with a failing `jx` call now and then. */
function startLoad(mcp, { maxCalls = 200000, maxMs = 60000 * SLOW } = {}) {
  let stopping = false;
  const sent = { one: 0, jx: 0 };
  const t0 = Date.now();
  const done = (async () => {
    while (!stopping && sent.one + sent.jx < maxCalls && Date.now() - t0 < maxMs) {
      const res = await mcp.batch('one', {}, 20);
      assert.ok(res.every((m) => m.result && !m.result.isError), 'one succeeds');
      sent.one += 20;
      const bad = await mcp.request('tools/call', { name: 'jx', arguments: { s: '{' } });
      assert.equal(bad.result?.isError, true, 'jx fails');
      sent.jx += 1;
      await sleep(20); // a steady rate the page can show, not a flood
    }
  })();
  return { sent, stop: async () => { stopping = true; await done; } };
}

const num = async (page, testid) => Number(await page.getAttribute(`[data-testid="${testid}"]`, 'data-value'));
const toolNum = async (page, tool, testid) =>
  Number(await page.getAttribute(`[data-testid="tool-row"][data-tool="${tool}"] [data-testid="${testid}"]`, 'data-value'));

/** Waits until the page has received `n` more stats snapshots than `from`; returns the new count. */
async function nextSnapshots(page, from, n = 1) {
  await page.waitForFunction(
    ([f, k]) => Number(document.querySelector('[data-testid="stats-seq"]').dataset.value) >= f + k, [from, n],
    { timeout: 10000 * SLOW, polling: 50 });
  return num(page, 'stats-seq');
}

describe('the status page in headless Chromium', () => {
  let tmp;
  let s;
  let mcp;
  let browser;
  before(async () => {
    assert.ok(fs.existsSync(CHROMIUM),
      `${CHROMIUM} is missing: the status page test needs Debian's chromium package (scripts/bootstrap installs it)`);
    tmp = makeTmp('status');
    s = await startServe(config(tmp));
    mcp = await new McpHttp(s).init();
    const { chromium } = await import('playwright-core');
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-dev-shm-usage'] });
  });
  after(async () => {
    await browser?.close();
    mcp?.close();
    if (s?.running) await finishHttp(s);
    rmTmp(tmp);
  });

  test('shows live numbers that match /metrics, self-contained, and saves a screenshot', async () => {
    const page = await browser.newPage({ viewport: { width: 1440, height: 1100 } });
    const problems = [];
    const foreign = [];
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning') problems.push(`${m.type()}: ${m.text()}`);
    });
    page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
    page.on('request', (r) => {
      if (!r.url().startsWith(s.base)) foreign.push(r.url());
    });

    const load = startLoad(mcp);
    try {
      const resp = await page.goto(`${s.base}/status`, { waitUntil: 'load', timeout: 10000 * SLOW });
      assert.equal(resp.status(), 200);
      await page.waitForSelector('[data-testid="conn-status"]:text("live")', { timeout: 10000 * SLOW });
      await page.waitForSelector('[data-testid="server-name"]:text("status-page-test 2.0.0")', { timeout: 5000 * SLOW });

      // The numbers move while the load runs.
      let seq = await nextSnapshots(page, 0, 2);
      const before = await num(page, 'requests-total');
      seq = await nextSnapshots(page, seq, 2);
      const afterTotal = await num(page, 'requests-total');
      assert.ok(afterTotal > before, `the request count moves: ${before} → ${afterTotal}`);
      assert.ok((await num(page, 'request-rate')) > 0, 'a request rate is shown');
      assert.ok((await toolNum(page, 'one', 'tool-calls')) > 0, 'the tool table lists one');
      await page.waitForSelector('[data-testid="call-row"]', { timeout: 5000 * SLOW });
      const statuses = await page.$$eval('[data-testid="call-row"] .pill', (els) => els.map((e) => e.textContent));
      assert.ok(statuses.includes('ok') && statuses.includes('tool_error'), `recent calls show both: ${statuses}`);
      const painted = await page.$eval('[data-testid="chart-requests"]', (c) => {
        const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        let n = 0;
        for (let i = 3; i < d.length; i += 4) if (d[i] > 0) n++;
        return n;
      });
      assert.ok(painted > 500, `the request chart is drawn (${painted} painted pixels)`);
    } finally {
      await load.stop();
    }

    // Load stopped and every answer received: a snapshot taken after that (two ticks later, so none computed
    // before the last call ended counts) must equal a scrape.
    const seq = await num(page, 'stats-seq');
    await nextSnapshots(page, seq, 2);
    const metrics = (await httpGet(s.base, '/metrics')).text;
    for (const tool of ['one', 'jx']) {
      const shown = await toolNum(page, tool, 'tool-calls');
      assert.equal(shown, metricSum(metrics, 'mcp_tool_calls_total', { tool }), `${tool}: page calls = /metrics`);
    }
    assert.ok((await toolNum(page, 'one', 'tool-calls')) >= load.sent.one, `one: at least the ${load.sent.one} calls sent`);
    assert.equal(await toolNum(page, 'jx', 'tool-errors'), await toolNum(page, 'jx', 'tool-calls'), 'every jx call failed');
    assert.ok((await toolNum(page, 'jx', 'tool-calls')) >= load.sent.jx);
    assert.equal(await page.textContent('[data-testid="health-status"]'), 'pass');
    const checks = await page.$$eval('[data-testid="health-check"]', (els) => els.map((e) => e.dataset.check));
    for (const c of ['workers', 'memory', 'draining']) assert.ok(checks.includes(c), `health check ${c}: ${checks}`);
    const p95 = await toolNum(page, 'one', 'tool-p95');
    assert.ok(p95 > 0 && p95 < 60000, `a p95 latency for one: ${p95}`);

    const outDir = path.join(path.dirname(bulwarkBin()), 'test-output');
    fs.mkdirSync(outDir, { recursive: true });
    const shot = path.join(outDir, 'status-page.png');
    await page.screenshot({ path: shot, fullPage: true });
    assert.ok(fs.statSync(shot).size > 10000, 'a real screenshot');
    console.log(`status page screenshot: ${shot}`);

    assert.deepEqual(foreign, [], 'the page loads nothing from another origin');
    assert.deepEqual(problems, [], 'no console errors, warnings or CSP violations');
    await page.close();
  });
});
