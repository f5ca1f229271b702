;; Stores past the end of a 64-bit memory: far past 4 GiB (an explicit check) and with a
;; static offset beyond the guard.
(module $oob_memory64
  (memory (export "memory") 1)
  (memory $big i64 1)
  (func $store_far (param $addr i64)
    (i64.store $big offset=0x10 (local.get $addr) (i64.const 42)))
  (func $_start (export "_start")
    (call $store_far (i64.const 0x1_0000_0000))))
