;; memory.atomic.wait32/64 and notify on shared memories (32- and 64-bit) and an unshared
;; one, in a single thread: a value that differs returns 1 ("not-equal") at once, a value
;; that matches sleeps until the timeout and returns 2 ("timed-out"), however short the
;; timeout; a notify with nobody waiting wakes 0, and on an unshared memory always returns
;; 0. The 20 ms wait is timed with the monotonic clock. Each result is printed as a digit;
;; compared with `wasmtime run -W threads=y,shared-memory=y,memory64=y,multi-memory=y`.
(module $wait_notify
  (import "wasi_snapshot_preview1" "fd_write"
    (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "clock_time_get"
    (func $clock_time_get (param i32 i64 i32) (result i32)))
  ;; Memory 0: iovec at 0x0, clock result at 0x10, output at 0x100.
  (memory $plain (export "memory") 1)
  (memory $shared 1 1 shared)
  (memory $wide i64 1 2 shared)

  ;; Prints the decimal digit `d` and a space (a newline when `d` is 10).
  (func $digit (param $d i32)
    (i32.store8 $plain (i32.const 0x100)
      (select (i32.const 10) (i32.add (i32.const 0x30) (local.get $d))
              (i32.eq (local.get $d) (i32.const 10))))
    (i32.store8 $plain (i32.const 0x101) (i32.const 0x20))
    (i32.store $plain (i32.const 0) (i32.const 0x100))
    (i32.store $plain (i32.const 4)
      (select (i32.const 1) (i32.const 2) (i32.eq (local.get $d) (i32.const 10))))
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8))))

  (func $now (result i64)
    (drop (call $clock_time_get (i32.const 1) (i64.const 1) (i32.const 0x10)))
    (i64.load $plain (i32.const 0x10)))

  (func (export "_start")
    (local $start i64)
    (i32.store $shared (i32.const 0x40) (i32.const 7))
    (i64.store $wide (i64.const 0x80) (i64.const 0x1_0000_0007))

    ;; notify: nobody waits, and an unshared memory has no waiters at all
    (call $digit (memory.atomic.notify $shared (i32.const 0x40) (i32.const 1)))
    (call $digit (memory.atomic.notify $shared offset=0x3c (i32.const 4) (i32.const -1)))
    (call $digit (memory.atomic.notify $wide (i64.const 0x80) (i32.const 3)))
    (call $digit (memory.atomic.notify $plain (i32.const 0x40) (i32.const 1)))
    (call $digit (i32.const 10))

    ;; not-equal: returns at once, even with no timeout
    (call $digit (memory.atomic.wait32 $shared (i32.const 0x40) (i32.const 8) (i64.const -1)))
    (call $digit (memory.atomic.wait64 $wide offset=0x40 (i64.const 0x40) (i64.const 7) (i64.const -1)))
    ;; wait32 on the low half of the 64-bit value compares 32 bits
    (call $digit (memory.atomic.wait32 $wide (i64.const 0x80) (i32.const 7) (i64.const 0)))
    (call $digit (memory.atomic.wait32 $wide (i64.const 0x84) (i32.const 1) (i64.const 0)))
    (call $digit (i32.const 10))

    ;; timed-out: zero, one nanosecond, and 20 ms, which must have passed
    (call $digit (memory.atomic.wait32 $shared (i32.const 0x40) (i32.const 7) (i64.const 0)))
    (call $digit (memory.atomic.wait64 $wide (i64.const 0x80) (i64.const 0x1_0000_0007) (i64.const 1)))
    (local.set $start (call $now))
    (call $digit (memory.atomic.wait32 $shared (i32.const 0x40) (i32.const 7) (i64.const 20_000_000)))
    (call $digit (i64.ge_u (i64.sub (call $now) (local.get $start)) (i64.const 20_000_000)))
    (local.set $start (call $now))
    (call $digit (memory.atomic.wait64 $wide (i64.const 0x80) (i64.const 0x1_0000_0007) (i64.const 20_000_000)))
    (call $digit (i64.ge_u (i64.sub (call $now) (local.get $start)) (i64.const 20_000_000)))
    (call $digit (i32.const 10))))
