;; An aligned atomic compare-exchange past the end of linear memory (1 page): the guard
;; region faults inside the atomic instruction, reported like any out-of-bounds access.
(module $atomic_oob
  (memory (export "memory") 1)
  (func $swap (param $addr i32) (result i64)
    (i64.atomic.rmw.cmpxchg (local.get $addr) (i64.const 0) (i64.const 1)))
  (func $caller (result i64)
    (call $swap (i32.const 0x10000)))
  (func $_start (export "_start")
    (drop (call $caller))))
