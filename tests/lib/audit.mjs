// Shared helpers of the audit trail tests (integration/audit*.test.mjs): canonical JSON and the chain hash written
// independently of bulwark (from the rule in docs/observability/audit.md), and `bulwark audit ...` runs that fail
// on a sanitizer report.

import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { bulwarkBin, runCommand } from './raw-stdio.mjs';

export const GENESIS = '0'.repeat(64);
/** The hashed members of a record (everything but seq and hash). */
export const HASHED = ['time', 'event', 'request_id', 'session_id', 'identity', 'client_name', 'client_version',
  'remote_addr', 'user_agent', 'method', 'target', 'args_sha256', 'arguments', 'outcome', 'error_type',
  'duration_us', 'prev_hash'];

/** Canonical JSON: object keys sorted, no whitespace. */
export function canonical(v) {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v && typeof v === 'object') {
    return `{${Object.keys(v).sort().map((k) => `${JSON.stringify(k)}:${canonical(v[k])}`).join(',')}}`;
  }
  return JSON.stringify(v);
}

export const sha256 = (s) => crypto.createHash('sha256').update(s).digest('hex');

/** SHA-256(prev_hash || canonical(record without seq and hash)). */
export function chainHash(rec) {
  const body = {};
  for (const k of HASHED) body[k] = rec[k] ?? null;
  return sha256(rec.prev_hash + canonical(body));
}

/** Asserts records (in seq order, starting at firstSeq after prevHash) form an intact chain. */
export function assertChain(records, firstSeq = 1, prevHash = GENESIS) {
  let prev = prevHash;
  records.forEach((r, i) => {
    assert.equal(r.seq, firstSeq + i, `seq ${firstSeq + i} in order`);
    assert.equal(r.prev_hash, prev, `seq ${r.seq} links to the previous record`);
    assert.equal(r.hash, chainHash(r), `seq ${r.seq}: hash = SHA-256(prev_hash || canonical record)`);
    prev = r.hash;
  });
}

/** `bulwark audit ...` to completion; under ASan its stderr must carry no sanitizer report (the leak check). */
export async function auditCli(...args) {
  const r = await runCommand(bulwarkBin(), ['audit', ...args]);
  assert.doesNotMatch(r.stderr, /ERROR: (Address|Leak)Sanitizer|runtime error:/, `bulwark audit ${args.join(' ')}`);
  return r;
}

/** The JSON lines of an export's stdout. */
export function exportedLines(stdout) {
  return stdout.split('\n').filter((l) => l.length > 0).map((l) => JSON.parse(l));
}
