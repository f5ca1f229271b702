;; memory.atomic.notify whose index plus offset passes 4 GiB (0xfffffff3 + 0x10): out of
;; bounds, although the sum is also misaligned. wasmtime adds the offset in the index type
;; and traps on the overflow first; Kiln keeps its order.
(module $notify_offset_wraps
  (memory (export "memory") 1)
  (func $wake (param $addr i32) (result i32)
    (memory.atomic.notify offset=0x10 (local.get $addr) (i32.const 1)))
  (func $_start (export "_start")
    (drop (call $wake (i32.const 0xfffffff3)))))
