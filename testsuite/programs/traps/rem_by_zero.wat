;; i64.rem_s by zero.
(module $rem_by_zero
  (memory (export "memory") 1)
  (func $remainder (param $a i64) (param $b i64) (result i64)
    (i64.rem_s (local.get $a) (local.get $b)))
  (func $_start (export "_start")
    (drop (call $remainder (i64.const 7) (i64.const 0)))))
