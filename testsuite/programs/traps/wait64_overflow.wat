;; memory.atomic.wait64 on a shared 64-bit memory whose index plus offset overflows 64 bits
;; (-8 + 0x10): out of bounds.
(module $wait64_overflow
  (memory (export "memory") 1)
  (memory $m i64 1 1 shared)
  (func $sleep (param $addr i64) (result i32)
    (memory.atomic.wait64 $m offset=0x10 (local.get $addr) (i64.const 0) (i64.const 0)))
  (func $_start (export "_start")
    (drop (call $sleep (i64.const -8)))))
