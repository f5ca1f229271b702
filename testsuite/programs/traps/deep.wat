;; A trap five calls deep, through a direct call, an indirect call and a loop.
(module $deep
  (memory (export "memory") 1)
  (type $ii (func (param i32) (result i32)))
  (table 1 funcref)
  (elem (i32.const 0) $level3)
  (func $level4 (param $x i32) (result i32)
    ;; 100 / (x - 3): traps when x reaches 3
    (i32.div_s (i32.const 100) (i32.sub (local.get $x) (i32.const 3))))
  (func $level3 (param $x i32) (result i32)
    (i32.add (call $level4 (local.get $x)) (i32.const 1)))
  (func $level2 (param $x i32) (result i32)
    (call_indirect (type $ii) (local.get $x) (i32.const 0)))
  (func $level1 (result i32)
    (local $i i32) (local $sum i32)
    (loop $again
      (local.set $sum (i32.add (local.get $sum) (call $level2 (local.get $i))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $again (i32.lt_u (local.get $i) (i32.const 10))))
    (local.get $sum))
  (func $_start (export "_start")
    (drop (call $level1))))
