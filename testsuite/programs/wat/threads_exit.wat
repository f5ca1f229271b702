;; `proc_exit` in a spawned thread ends every thread with its status, while `_start`
;; spins forever.
(module
  (import "env" "memory" (memory 1 1 shared))
  (import "wasi" "thread-spawn" (func $spawn (param i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (export "memory" (memory 0))
  (func (export "wasi_thread_start") (param i32 i32)
    (call $exit (i32.const 42)))
  (func (export "_start")
    (drop (call $spawn (i32.const 0)))
    (loop $forever
      (br_if $forever (i32.eqz (i32.atomic.load (i32.const 0)))))))
