// A private PostgreSQL server for a test file (tests/pg/with-postgres.sh: initdb in a temporary directory, a free
// loopback port, trust authentication), kept alive until close(). The wrapper stops the server and removes its
// directory when its stdin closes, also when this process dies.

import { spawn, execSync } from 'node:child_process';
import path from 'node:path';
import { registerChild, TESTS_DIR } from './raw-stdio.mjs';

/** True when PostgreSQL server binaries are installed (with-postgres.sh can run). */
export function havePostgres() {
  try {
    execSync('ls -d /usr/lib/postgresql/*/bin/initdb || command -v initdb', { shell: '/bin/sh', stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Starts the server; resolves {conninfo, stop(), start(), close()} (stop/start: pg_ctl, synchronous). */
export async function startPostgres(timeoutMs = 60000) {
  const script = path.join(TESTS_DIR, 'pg', 'with-postgres.sh');
  const proc = spawn('sh', [script, 'sh', '-c',
    'printf "%s\\n%s\\n%s\\n" "$BW_TEST_PG_CONNINFO" "$BW_TEST_PG_STOP" "$BW_TEST_PG_START"; exec cat >/dev/null'],
  { stdio: ['pipe', 'pipe', 'pipe'] });
  registerChild(proc);
  const exited = new Promise((r) => proc.once('close', r));
  let out = '';
  let err = '';
  proc.stderr.on('data', (c) => { err += c; });
  const lines = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`with-postgres.sh did not start within ${timeoutMs} ms: ${err}`)),
      timeoutMs);
    proc.stdout.on('data', (c) => {
      out += c;
      const l = out.split('\n');
      if (l.length > 3) {
        clearTimeout(timer);
        resolve(l);
      }
    });
    exited.then(() => {
      clearTimeout(timer);
      reject(new Error(`with-postgres.sh exited: ${err}`));
    });
  });
  const run = (cmd) => execSync(cmd, { shell: '/bin/sh', stdio: 'ignore', timeout: 60000 });
  return {
    conninfo: lines[0],
    stop: () => run(lines[1]),
    start: () => run(lines[2]),
    async close() {
      proc.stdin.end(); // cat ends; the wrapper stops the server and removes its directory
      let timer;
      await Promise.race([exited, new Promise((r) => { timer = setTimeout(r, 30000); })]);
      clearTimeout(timer);
    },
  };
}
