;; memory.init whose destination range ends past the memory's length.
(module $memory_init
  (memory (export "memory") 1)
  (data $bytes "kiln")
  (func $init (param $dst i32)
    (memory.init $bytes (local.get $dst) (i32.const 0) (i32.const 4)))
  (func $_start (export "_start")
    (call $init (i32.const 0xfffe))))
