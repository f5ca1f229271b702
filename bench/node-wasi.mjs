// Runs a WASI preview1 command module under Node's node:wasi:
//   node bench/node-wasi.mjs prog.wasm [args...]
// The program sees argv = [prog.wasm, args...], an empty environment and no preopens.
import { readFile } from 'node:fs/promises';
import { WASI } from 'node:wasi';
import process from 'node:process';

const [file, ...args] = process.argv.slice(2);
const wasi = new WASI({ version: 'preview1', args: [file, ...args], env: {}, preopens: {}, returnOnExit: true });
const module = await WebAssembly.compile(await readFile(file));
const instance = await WebAssembly.instantiate(module, wasi.getImportObject());
// exitCode rather than process.exit(): node 20 sometimes segfaults in exit() after a large run.
process.exitCode = wasi.start(instance);
