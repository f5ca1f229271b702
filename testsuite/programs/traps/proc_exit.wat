;; proc_exit(42) from a nested call: the process exits with 42, no trap.
(module $proc_exit
  (import "wasi_snapshot_preview1" "proc_exit" (func $proc_exit (param i32)))
  (memory (export "memory") 1)
  (func $leave (call $proc_exit (i32.const 42)) (unreachable))
  (func $_start (export "_start") (call $leave)))
