;; An aligned atomic `or` at the length of a 64-bit memory: its explicit bounds check
;; traps before the access, as for a plain store.
(module $atomic_oob_memory64
  (memory (export "memory") 1)
  (memory $wide i64 1 2)
  (func $set_bits (param $addr i64) (result i64)
    (i64.atomic.rmw8.or_u $wide (local.get $addr) (i64.const 0x80)))
  (func $_start (export "_start")
    (drop (call $set_bits (i64.const 0x10000)))))
