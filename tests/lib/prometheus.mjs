// A strict reader of the Prometheus text exposition format 0.0.4, for tests that assert what GET /metrics shows.
//
// parseExposition(text) checks every line (throws on the first bad one, naming it): comments are "# HELP name ..."
// or "# TYPE name counter|gauge|histogram|summary|untyped"; each family's TYPE comes before its samples and only
// once; a sample is name{label="value",...} value with a declared family (a histogram's samples are name_bucket
// with an "le" label, name_sum and name_count); label values use only the escapes \\ \" \n; no series appears
// twice; values are floats or +Inf/-Inf/NaN. It returns {families, samples, value(), series(), names()}.

import { get as httpGet } from 'node:http';

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

function parseValue(s, where) {
  if (s === '+Inf') return Infinity;
  if (s === '-Inf') return -Infinity;
  if (s === 'NaN') return NaN;
  if (!/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(s)) throw new Error(`${where}: bad value '${s}'`);
  return Number(s);
}

/** Parses `{a="x",b="y"}` starting at text[i] === '{'; returns [labels, index after '}']. */
function parseLabels(text, i, where) {
  const labels = {};
  i++;
  while (text[i] !== '}') {
    const eq = text.indexOf('=', i);
    if (eq < 0) throw new Error(`${where}: label without '='`);
    const name = text.slice(i, eq);
    if (!LABEL.test(name)) throw new Error(`${where}: bad label name '${name}'`);
    if (text[eq + 1] !== '"') throw new Error(`${where}: label value not quoted`);
    let v = '';
    let j = eq + 2;
    for (; j < text.length && text[j] !== '"'; j++) {
      if (text[j] === '\\') {
        const e = text[++j];
        if (e === '\\') v += '\\';
        else if (e === '"') v += '"';
        else if (e === 'n') v += '\n';
        else throw new Error(`${where}: bad escape '\\${e}'`);
      } else {
        v += text[j];
      }
    }
    if (j >= text.length) throw new Error(`${where}: unterminated label value`);
    if (name in labels) throw new Error(`${where}: label '${name}' twice`);
    labels[name] = v;
    i = j + 1;
    if (text[i] === ',') i++;
    else if (text[i] !== '}') throw new Error(`${where}: expected ',' or '}' after a label`);
  }
  return [labels, i + 1];
}

/** The family a sample name belongs to, given the declared families. */
function familyOf(name, families) {
  if (families.has(name)) return name;
  for (const suffix of ['_bucket', '_sum', '_count']) {
    if (name.endsWith(suffix)) {
      const base = name.slice(0, -suffix.length);
      if (families.get(base)?.type === 'histogram' || families.get(base)?.type === 'summary') return base;
    }
  }
  return null;
}

function seriesKey(name, labels) {
  return `${name}{${Object.keys(labels).sort().map((k) => `${k}=${JSON.stringify(labels[k])}`).join(',')}}`;
}

export function parseExposition(text) {
  if (text.length > 0 && !text.endsWith('\n')) throw new Error('the exposition does not end with a newline');
  const families = new Map();
  const samples = [];
  const seen = new Set();
  const lines = text.split('\n');
  lines.pop();
  lines.forEach((line, n) => {
    const where = `line ${n + 1} '${line.slice(0, 160)}'`;
    if (line.startsWith('#')) {
      const m = /^# (HELP|TYPE) (\S+) (.*)$/.exec(line);
      if (!m) throw new Error(`${where}: a comment that is neither HELP nor TYPE`);
      if (!NAME.test(m[2])) throw new Error(`${where}: bad metric name`);
      const f = families.get(m[2]) ?? { help: null, type: null, samples: 0 };
      if (m[1] === 'TYPE') {
        if (f.type) throw new Error(`${where}: TYPE given twice`);
        if (f.samples) throw new Error(`${where}: TYPE after samples`);
        if (!['counter', 'gauge', 'histogram', 'summary', 'untyped'].includes(m[3])) throw new Error(`${where}: bad type`);
        f.type = m[3];
      } else {
        if (f.help !== null) throw new Error(`${where}: HELP given twice`);
        f.help = m[3];
      }
      families.set(m[2], f);
      return;
    }
    if (line === '') throw new Error(`${where}: empty line`);
    const nameEnd = line.search(/[{ ]/);
    if (nameEnd <= 0) throw new Error(`${where}: no value`);
    const name = line.slice(0, nameEnd);
    if (!NAME.test(name)) throw new Error(`${where}: bad metric name '${name}'`);
    let labels = {};
    let i = nameEnd;
    if (line[i] === '{') [labels, i] = parseLabels(line, i, where);
    if (line[i] !== ' ') throw new Error(`${where}: expected a space before the value`);
    const rest = line.slice(i + 1).split(' ');
    if (rest.length > 2) throw new Error(`${where}: trailing text`);
    const value = parseValue(rest[0], where);
    const fam = familyOf(name, families);
    if (!fam || !families.get(fam).type) throw new Error(`${where}: sample of an undeclared family`);
    const type = families.get(fam).type;
    if (type === 'histogram' && name.endsWith('_bucket') !== ('le' in labels)) throw new Error(`${where}: le only on _bucket`);
    if (type === 'counter' && !(value >= 0)) throw new Error(`${where}: a counter below 0`);
    const key = seriesKey(name, labels);
    if (seen.has(key)) throw new Error(`${where}: series ${key} appears twice`);
    seen.add(key);
    families.get(fam).samples++;
    samples.push({ name, family: fam, labels, value });
  });
  const matches = (s, name, labels) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v);
  return {
    families,
    samples,
    /** Every sample of `name` whose labels include `labels`. */
    series(name, labels = {}) {
      return samples.filter((s) => matches(s, name, labels));
    },
    /** The value of the one series `name` with exactly these labels, or undefined when absent. */
    value(name, labels = {}) {
      const hit = samples.find((s) => s.name === name && seriesKey(name, s.labels) === seriesKey(name, labels));
      return hit?.value;
    },
    /** Names a query may use: every family, plus _bucket/_sum/_count of histograms and summaries. */
    names() {
      const out = new Set();
      for (const [n, f] of families) {
        out.add(n);
        if (f.type === 'histogram' || f.type === 'summary') for (const s of ['_bucket', '_sum', '_count']) out.add(n + s);
      }
      return out;
    },
  };
}

/**
 * Checks each histogram series of `family` in a parsed exposition: buckets cumulative (never decreasing in le
 * order), a +Inf bucket equal to _count, a non-negative _sum. Returns the number of series checked.
 */
export function checkHistograms(expo, family) {
  const groups = new Map();
  for (const s of expo.series(`${family}_bucket`)) {
    const { le, ...rest } = s.labels;
    const key = seriesKey(family, rest);
    if (!groups.has(key)) groups.set(key, { labels: rest, buckets: [] });
    groups.get(key).buckets.push({ le: le === '+Inf' ? Infinity : Number(le), v: s.value });
  }
  for (const { labels, buckets } of groups.values()) {
    buckets.sort((a, b) => a.le - b.le);
    for (let i = 1; i < buckets.length; i++) {
      if (buckets[i].v < buckets[i - 1].v) {
        throw new Error(`${family}${JSON.stringify(labels)}: bucket le=${buckets[i].le} (${buckets[i].v}) below le=${buckets[i - 1].le} (${buckets[i - 1].v})`);
      }
    }
    const inf = buckets.at(-1);
    if (inf.le !== Infinity) throw new Error(`${family}${JSON.stringify(labels)}: no +Inf bucket`);
    const count = expo.value(`${family}_count`, labels);
    const sum = expo.value(`${family}_sum`, labels);
    if (count !== inf.v) throw new Error(`${family}${JSON.stringify(labels)}: _count ${count} != +Inf bucket ${inf.v}`);
    if (!(sum >= 0)) throw new Error(`${family}${JSON.stringify(labels)}: _sum ${sum}`);
  }
  return groups.size;
}

/** GET base + path (default /metrics) on 127.0.0.1; resolves {status, contentType, text}. */
export function scrape(base, path = '/metrics', timeoutMs = 15000) {
  return new Promise((resolve, reject) => {
    const req = httpGet(`${base}${path}`, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, contentType: res.headers['content-type'], text: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.setTimeout(timeoutMs, () => req.destroy(new Error(`GET ${path}: no answer within ${timeoutMs} ms`)));
    req.on('error', reject);
  });
}
