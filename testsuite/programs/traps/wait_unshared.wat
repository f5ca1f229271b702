;; memory.atomic.wait32 on an unshared memory, with a matching value: nothing could ever
;; notify it, so the threads proposal traps (after the address checks).
(module $wait_unshared
  (memory (export "memory") 1)
  (func $sleep (param $addr i32) (result i32)
    (memory.atomic.wait32 (local.get $addr) (i32.const 0) (i64.const -1)))
  (func $_start (export "_start")
    (drop (call $sleep (i32.const 0x100)))))
