// `make bench-size`: what the browser downloads (wasm + JS, brotli quality 11) for each kind of
// page, as a ratio to the hello-world anchor (benches/anchor-hello) built by the same
// cargo-leptos with the same profile in the same run. Prints a table and writes it as JSON.
//
//   node benches/wasm-size.mjs <Gatehouse pkg dir> <anchor pkg dir> <output.json> [baseline.json]
//
// With a baseline, exits 1 when a ratio misses its target or grew more than 10 % past it.
import { readdirSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { brotliCompressSync, constants } from 'node:zlib';

const [site, anchorSite, output, baselinePath] = process.argv.slice(2);
if (!site || !anchorSite || !output) {
  console.error('usage: wasm-size.mjs <pkg> <anchor pkg> <output.json> [baseline.json]');
  process.exit(2);
}

const brotli = (file) =>
  brotliCompressSync(readFileSync(file), {
    params: { [constants.BROTLI_PARAM_QUALITY]: 11, [constants.BROTLI_PARAM_SIZE_HINT]: 0 },
  }).length;

const code = (dir) => readdirSync(dir).filter((name) => name.endsWith('.wasm') || name.endsWith('.js'));
const sum = (dir, names) => names.reduce((total, name) => total + brotli(join(dir, name)), 0);

const anchor = sum(anchorSite, code(anchorSite));
const files = code(site);
// What every page loads before it can hydrate: the main wasm, its JS and the split loader,
// which the main JS imports; the invite page needs nothing else. A lazy route adds its module
// and the chunks the manifest lists for it.
const eager = files.filter((name) => !name.startsWith('split_') && !name.startsWith('chunk_'));
const main = sum(site, eager);
let manifest = {};
try {
  manifest = JSON.parse(readFileSync(join(site, '__wasm_split_manifest.json'), 'utf8'));
} catch {
  // An unsplit build: every page is the main bundle.
}
// The manifest lists a route's own module among its chunks: each file is counted once.
const routes = Object.entries(manifest).map(([name, chunks]) => {
  const own = new Set([`split_${name}.wasm`, ...chunks.map((chunk) => `${chunk}.wasm`)]);
  return { route: name.replace(/^__|_view_\d+$/g, ''), bytes: main + sum(site, [...own]) };
});
const route = (name) => routes.find((r) => r.route === name)?.bytes ?? main;
const signIn = Math.max(route('login_route'), route('setup_route'));
const admin = routes.filter((r) => !['login_route', 'setup_route', 'home_route'].includes(r.route));
const largest = admin.reduce((max, route) => (route.bytes > max.bytes ? route : max), {
  route: '(none split)',
  bytes: main,
});

const figures = [
  { id: 'S1', what: '/invite/<token>, ready to create an account with a passkey', bytes: main, target: 1.5 },
  { id: 'S2', what: 'the larger of /login and /setup/<token>', bytes: signIn, target: 1.5 },
  { id: 'S3', what: `largest admin page (${largest.route})`, bytes: largest.bytes, target: 2.5 },
  { id: 'S4', what: 'all files together', bytes: sum(site, files), target: 4 },
].map((figure) => ({ ...figure, anchor, ratio: Number((figure.bytes / anchor).toFixed(2)) }));

const pad = (text, width) => String(text).padEnd(width);
console.log(`${pad('id', 4)}${pad('what', 64)}${pad('bytes', 10)}${pad('anchor', 9)}${pad('ratio', 7)}target`);
for (const f of figures) {
  const mark = f.ratio <= f.target ? 'met' : 'MISSED';
  console.log(`${pad(f.id, 4)}${pad(f.what, 64)}${pad(f.bytes, 10)}${pad(f.anchor, 9)}${pad(f.ratio, 7)}≤ ${f.target} ${mark}`);
}
for (const route of routes.sort((a, b) => b.bytes - a.bytes)) {
  console.log(`    ${pad(route.route, 64)}${route.bytes}`);
}
mkdirSync(dirname(output), { recursive: true });
writeFileSync(output, `${JSON.stringify({ figures, routes }, null, 2)}\n`);
console.log(`written to ${output}`);

if (baselinePath) {
  const baseline = JSON.parse(readFileSync(baselinePath, 'utf8'));
  const problems = [];
  for (const f of figures) {
    if (f.ratio > f.target) problems.push(`${f.id} ${f.ratio} misses its target ${f.target}`);
    const before = baseline.figures.find((b) => b.id === f.id);
    if (before && f.ratio > before.ratio * 1.1) problems.push(`${f.id} grew from ${before.ratio} to ${f.ratio}`);
  }
  if (problems.length > 0) {
    console.error(problems.join('\n'));
    process.exit(1);
  }
  console.log('no figure misses its target or grew more than 10 % past the baseline');
}
