;; memory.copy in a 64-bit memory whose two ranges wrap past 2^64: the ends of
;; `[2, 2 + len)` and `[1, 1 + len)` overflow, which is out of bounds (the wrapped sums, 1
;; and 0, would look in bounds).
(module $memory_copy_memory64_wraps
  (memory (export "memory") 1)
  (memory $big i64 1)
  (func $copy (param $dst i64) (param $src i64) (param $len i64)
    (memory.copy $big $big (local.get $dst) (local.get $src) (local.get $len)))
  (func $_start (export "_start")
    (call $copy (i64.const 2) (i64.const 1) (i64.const -1))))
