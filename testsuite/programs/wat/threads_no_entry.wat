;; `thread-spawn` in a module without a `wasi_thread_start` export fails with -1 (wasmtime
;; checks the entry point at the spawn); the status says what it returned.
(module
  (import "env" "memory" (memory 1 1 shared))
  (import "wasi" "thread-spawn" (func $spawn (param i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (export "memory" (memory 0))
  (func (export "_start")
    (call $exit (i32.add (i32.const 10) (call $spawn (i32.const 0))))))
