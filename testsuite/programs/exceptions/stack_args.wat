;; Exceptions thrown by callees with stack arguments (twelve i64 parameters), caught by the
;; caller a hundred thousand times: the stack pointer at each handler is right, or the
;; loop's state would be lost. The exit status is the sum of what was caught, mod 113.
(module
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (memory (export "memory") 1)
  (tag $e (param i64 i64 i64))
  (func $many (param i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64) (result i64)
    (if (i64.eq (local.get 11) (i64.const 0))
      (then (throw $e (local.get 0) (local.get 9) (local.get 10))))
    (i64.add (local.get 0) (local.get 11)))
  (func $mid (param i64) (result i64)
    (call $many (i64.const 1) (i64.const 2) (i64.const 3) (i64.const 4) (i64.const 5) (i64.const 6)
      (i64.const 7) (i64.const 8) (i64.const 9) (i64.const 10) (i64.const 11) (local.get 0)))
  (func (export "_start")
    (local $i i64) (local $sum i64) (local $a i64) (local $b i64) (local $c i64)
    (loop $l
      (block $l2
      (block $h (result i64 i64 i64)
        (local.set $sum (i64.add (local.get $sum)
          (try_table (result i64) (catch $e $h)
            (call $many (i64.const 1) (i64.const 2) (i64.const 3) (i64.const 4) (i64.const 5) (i64.const 6)
              (i64.const 7) (i64.const 8) (i64.const 9) (i64.const 10) (i64.const 11)
              (i64.rem_u (local.get $i) (i64.const 2)))
            (call $mid (i64.rem_u (local.get $i) (i64.const 3)))
            (i64.add))))
        (br $l2))
      (local.set $c) (local.set $b) (local.set $a)
      (local.set $sum (i64.add (local.get $sum) (i64.add (local.get $a) (i64.add (local.get $b) (local.get $c))))))
      (local.set $i (i64.add (local.get $i) (i64.const 1)))
      (br_if $l (i64.lt_u (local.get $i) (i64.const 100000))))
    (call $exit (i32.wrap_i64 (i64.rem_u (local.get $sum) (i64.const 113)))))
)
