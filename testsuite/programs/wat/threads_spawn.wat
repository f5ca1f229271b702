;; wasi-threads without a libc: `thread-spawn` twice; each thread stores its id and
;; start argument in the shared memory and sets its done flag with an atomic store; `_start`
;; spins on the flags with atomic loads, then exits with a status made of what the threads
;; saw: tid1 * 10 + tid2 + 100 * (whether both start arguments arrived).
(module
  (import "env" "memory" (memory 1 1 shared))
  (import "wasi" "thread-spawn" (func $spawn (param i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (export "memory" (memory 0))
  ;; memory[0], [16]: done flags; [4], [20]: the tid the thread got; [8], [24]: its arg.
  (func (export "wasi_thread_start") (param $tid i32) (param $arg i32)
    (local $slot i32)
    (local.set $slot (i32.mul (i32.sub (local.get $arg) (i32.const 1000)) (i32.const 16)))
    (i32.store offset=4 (local.get $slot) (local.get $tid))
    (i32.store offset=8 (local.get $slot) (local.get $arg))
    (i32.atomic.store (local.get $slot) (i32.const 1)))
  (func $wait (param $flag i32)
    (loop $spin
      (br_if $spin (i32.eqz (i32.atomic.load (local.get $flag))))))
  (func (export "_start")
    (local $t1 i32) (local $t2 i32)
    (local.set $t1 (call $spawn (i32.const 1000)))
    (call $wait (i32.const 0))
    (local.set $t2 (call $spawn (i32.const 1001)))
    (call $wait (i32.const 16))
    ;; The ids returned are the ids the threads got.
    (if (i32.ne (local.get $t1) (i32.load (i32.const 4))) (then unreachable))
    (if (i32.ne (local.get $t2) (i32.load (i32.const 20))) (then unreachable))
    (call $exit
      (i32.add
        (i32.add (i32.mul (local.get $t1) (i32.const 10)) (local.get $t2))
        (i32.mul
          (i32.const 100)
          (i32.and
            (i32.eq (i32.load (i32.const 8)) (i32.const 1000))
            (i32.eq (i32.load (i32.const 24)) (i32.const 1001))))))))
