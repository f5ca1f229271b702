;; A load past the end of linear memory (1 page): the guard region faults.
(module $oob_load
  (memory (export "memory") 1)
  (func $load_past_end (param $addr i32) (result i32)
    (i32.load (local.get $addr)))
  (func $caller (result i32)
    (call $load_past_end (i32.const 0x10000)))
  (func $_start (export "_start")
    (drop (call $caller))))
