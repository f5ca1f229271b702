;; memory.copy whose source range ends past the memory's length.
(module $memory_copy
  (memory (export "memory") 1)
  (func $copy (param $dst i32) (param $src i32) (param $len i32)
    (memory.copy (local.get $dst) (local.get $src) (local.get $len)))
  (func $_start (export "_start")
    (call $copy (i32.const 0) (i32.const 0xfff0) (i32.const 0x100))))
