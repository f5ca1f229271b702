;; An atomic read-modify-write at an address that is not a multiple of its size (4): the
;; threads proposal's alignment trap, `unaligned atomic`, before any bounds check.
(module $unaligned_atomic
  (memory (export "memory") 1)
  (func $bump (param $addr i32) (result i32)
    (i32.atomic.rmw.add offset=2 (local.get $addr) (i32.const 1)))
  (func $caller (result i32)
    (call $bump (i32.const 0x20)))
  (func $_start (export "_start")
    (drop (call $caller))))
