;; A store whose effective address (index + offset) is past 4 GiB.
(module $oob_store
  (memory (export "memory") 1)
  (func $store_far (param $addr i32)
    (i64.store offset=0x100 (local.get $addr) (i64.const 42)))
  (func $caller
    (call $store_far (i32.const 0xfffffff0)))
  (func $_start (export "_start")
    (call $caller)))
