;; i32.div_u by zero.
(module $div_by_zero
  (memory (export "memory") 1)
  (func $divide (param $a i32) (param $b i32) (result i32)
    (i32.div_u (local.get $a) (local.get $b)))
  (func $_start (export "_start")
    (drop (call $divide (i32.const 7) (i32.const 0)))))
