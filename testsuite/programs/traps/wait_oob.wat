;; memory.atomic.wait64 on a shared memory at its length (0xfff8 plus an offset of 8):
;; aligned, but out of bounds, checked before the runtime's wait queue is reached (no
;; memory fault line, as in wasmtime, whose wait checks the address before touching it).
(module $wait_oob
  (memory (export "memory") 1)
  (memory $shared 1 1 shared)
  (func $sleep (param $addr i32) (result i32)
    (memory.atomic.wait64 $shared offset=8 (local.get $addr) (i64.const 0) (i64.const 0)))
  (func $_start (export "_start")
    (drop (call $sleep (i32.const 0xfff8)))))
