;; A trap in a spawned thread ends the whole program with the trap's report (the spawned
;; thread's backtrace) and status 134, while `_start` spins forever.
(module
  (import "env" "memory" (memory 1 1 shared))
  (import "wasi" "thread-spawn" (func $spawn (param i32) (result i32)))
  (export "memory" (memory 0))
  (func $boom unreachable)
  (func $deep (param i32)
    (if (i32.eqz (local.get 0)) (then (call $boom)))
    (call $deep (i32.sub (local.get 0) (i32.const 1))))
  (func (export "wasi_thread_start") (param i32 i32)
    (call $deep (i32.const 2)))
  (func (export "_start")
    (drop (call $spawn (i32.const 0)))
    (loop $forever
      (br_if $forever (i32.eqz (i32.atomic.load (i32.const 0)))))))
