;; A trap after a hundred thousand tail calls: `$ping` and `$pong` return_call each other
;; (directly and through a table), then `$pong` divides by zero. The tail-called frames
;; replaced their callers', so the backtrace is `$pong` called from `_start`'s `$enter`.
(module $tail_call
  (memory (export "memory") 1)
  (type $step (func (param i32) (result i32)))
  (table 1 funcref)
  (elem (i32.const 0) $pong)
  (func $ping (param $n i32) (result i32)
    (return_call_indirect (type $step) (local.get $n) (i32.const 0)))
  (func $pong (param $n i32) (result i32)
    (if (i32.eqz (local.get $n))
      (then (return (i32.div_u (i32.const 1) (local.get $n)))))
    (return_call $ping (i32.sub (local.get $n) (i32.const 1))))
  (func $enter (result i32)
    (i32.add (call $ping (i32.const 100000)) (i32.const 1)))
  (func $_start (export "_start")
    (drop (call $enter))))
