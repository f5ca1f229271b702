;; memory.fill whose range ends past the memory's length.
(module $memory_fill
  (memory (export "memory") 1)
  (func $fill (param $dst i32) (param $len i32)
    (memory.fill (local.get $dst) (i32.const 0xaa) (local.get $len)))
  (func $_start (export "_start")
    (call $fill (i32.const 0xff00) (i32.const 0x101))))
