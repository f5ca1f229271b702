;; i32.trunc_f64_s of 1e10: too big for an i32.
(module $trunc_overflow
  (memory (export "memory") 1)
  (func $to_int (param $x f64) (result i32)
    (i32.trunc_f64_s (local.get $x)))
  (func $_start (export "_start")
    (drop (call $to_int (f64.const 1e10)))))
