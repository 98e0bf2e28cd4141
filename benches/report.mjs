// `make bench`'s last step: one table of every S-figure of issue 17 (README, Performance) from
// the JSON files the run's steps wrote to target/bench/, as measured value, anchor, ratio and
// target, written again as target/bench/report.json.
//
//   node benches/report.mjs <target/bench> [baseline.json]
//
// With a baseline (`make bench-check`), exits 1 when a ratio misses its target, grew more than
// 10 % past the baseline, or a statement count rose.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const [dir, baselinePath] = process.argv.slice(2);
if (!dir) {
  console.error('usage: report.mjs <target/bench> [baseline.json]');
  process.exit(2);
}
const read = (name) => {
  try {
    return JSON.parse(readFileSync(join(dir, name), 'utf8'));
  } catch {
    return null;
  }
};

const rows = [];
const missing = [];
const sizes = read('wasm-size.json');
if (sizes) {
  for (const f of sizes.figures) {
    rows.push({ id: f.id, what: `${f.what}, wasm + JS brotli`, value: `${f.bytes} B`, anchor: `${f.anchor} B`, ratio: f.ratio, target: f.target, kind: 'at most' });
  }
} else missing.push('S1-S4 (wasm-size.json)');

const hydration = read('hydration.json');
if (hydration) {
  rows.push({ id: 'S5', what: hydration.what, value: `${hydration.ms} ms`, anchor: `${hydration.anchor_ms} ms`, ratio: hydration.ratio, target: hydration.target, kind: 'at most' });
} else missing.push('S5 (hydration.json)');

const users = read('users-page.json');
if (users) {
  for (const [backend, queries] of Object.entries(users)) {
    for (const [query, f] of Object.entries(queries)) {
      rows.push({
        id: 'S6',
        what: `Users page ${query}, ${backend}, 10,000 + 10,000 vs 10 + 10`,
        value: `${f.ms_at_10000.toFixed(2)} ms`,
        anchor: `${f.ms_at_10.toFixed(2)} ms`,
        ratio: Number(f.ratio.toFixed(2)),
        target: 1.5,
        kind: 'at most',
      });
    }
  }
} else missing.push('S6 (users-page.json)');

const counts = read('query-counts.json');
if (counts) {
  for (const c of counts) {
    rows.push({ id: 'S7', what: `${c.request}, ${c.backend}`, value: `${c.statements} statements`, anchor: '', ratio: null, target: c.limit, kind: 'statements at most' });
  }
} else missing.push('S7 (query-counts.json)');

const throughput = read('throughput.json');
if (throughput) {
  for (const [mode, label] of [['every_core', `every core (${throughput.cores})`], ['one_thread', 'one thread, before']]) {
    const f = throughput[mode];
    // Leptos's floor: the smallest Leptos page doing the same lookup; no Leptos page beats it.
    if (f.leptos_floor_rps !== undefined) {
      rows.push({
        id: mode === 'every_core' ? 'S8 floor' : 'S8 floor before',
        what: `smallest Leptos page, same lookup, requests per second, ${label}`,
        value: `${Math.round(f.leptos_floor_rps)}/s`,
        anchor: `${Math.round(f.anchor_rps)}/s`,
        ratio: Number(f.leptos_floor_ratio.toFixed(2)),
        target: null,
        kind: 'at least',
      });
    }
    for (const [page, rps, ratio] of [['/login', f.login_rps, f.login_ratio], ['Users page', f.users_rps, f.users_ratio]]) {
      rows.push({
        id: mode === 'every_core' ? 'S8' : 'S8 before',
        what: `${page} requests per second, ${label}`,
        value: `${Math.round(rps)}/s`,
        anchor: `${Math.round(f.anchor_rps)}/s`,
        ratio: Number(ratio.toFixed(2)),
        target: mode === 'every_core' ? 0.5 : null,
        kind: 'at least',
      });
    }
  }
} else missing.push('S8 (throughput.json)');

const met = (row) => {
  if (row.target === null) return '';
  if (row.kind === 'statements at most') return Number.parseInt(row.value, 10) <= row.target ? 'met' : 'MISSED';
  if (row.kind === 'at least') return row.ratio >= row.target ? 'met' : 'MISSED';
  return row.ratio <= row.target ? 'met' : 'MISSED';
};
const pad = (text, width) => String(text ?? '').padEnd(width);
console.log(`\n${pad('id', 16)}${pad('what', 78)}${pad('value', 18)}${pad('anchor', 12)}${pad('ratio', 7)}target`);
for (const row of rows) {
  const target = row.target === null ? '' : `${row.kind === 'at least' ? '≥' : '≤'} ${row.target}`;
  console.log(`${pad(row.id, 16)}${pad(row.what, 78)}${pad(row.value, 18)}${pad(row.anchor, 12)}${pad(row.ratio, 7)}${pad(target, 8)}${met(row)}`);
}
if (missing.length > 0) console.log(`\nnot measured in this run: ${missing.join(', ')}`);
writeFileSync(join(dir, 'report.json'), `${JSON.stringify(rows.map((row) => ({ ...row, met: met(row) })), null, 2)}\n`);
console.log(`written to ${join(dir, 'report.json')}`);

if (baselinePath) {
  const baseline = JSON.parse(readFileSync(baselinePath, 'utf8'));
  const problems = [];
  for (const row of rows) {
    if (met(row) === 'MISSED') problems.push(`${row.id} ${row.what}: ${row.ratio ?? row.value} misses ${row.target}`);
    const before = baseline.find((b) => b.id === row.id && b.what === row.what);
    if (!before || row.ratio === null || before.ratio === null) continue;
    const worse = row.kind === 'at least' ? row.ratio < before.ratio / 1.1 : row.ratio > before.ratio * 1.1;
    if (worse) problems.push(`${row.id} ${row.what}: ${before.ratio} in the baseline, now ${row.ratio}`);
  }
  if (missing.length > 0) problems.push(`not measured: ${missing.join(', ')}`);
  if (problems.length > 0) {
    console.error(`\n${problems.join('\n')}`);
    process.exit(1);
  }
  console.log('every figure meets its target and none regressed more than 10 % past the baseline');
}
