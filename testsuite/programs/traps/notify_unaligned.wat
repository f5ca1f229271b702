;; memory.atomic.notify at an address that is not a multiple of 4, on an unshared memory
;; (where it wakes nobody): still `unaligned atomic`.
(module $notify_unaligned
  (memory (export "memory") 1)
  (func $wake (param $addr i32) (result i32)
    (memory.atomic.notify offset=1 (local.get $addr) (i32.const 1)))
  (func $_start (export "_start")
    (drop (call $wake (i32.const 0x100)))))
