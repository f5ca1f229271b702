;; i32.trunc_f32_s of NaN.
(module $trunc_nan
  (memory (export "memory") 1)
  (func $to_int (param $x f32) (result i32)
    (i32.trunc_f32_s (local.get $x)))
  (func $_start (export "_start")
    (drop (call $to_int (f32.const nan)))))
