;; i32.div_s INT_MIN / -1: the quotient does not fit.
(module $div_overflow
  (memory (export "memory") 1)
  (func $divide (param $a i32) (param $b i32) (result i32)
    (i32.div_s (local.get $a) (local.get $b)))
  (func $_start (export "_start")
    (drop (call $divide (i32.const 0x80000000) (i32.const -1)))))
