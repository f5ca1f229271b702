;; A load past the end of memory 1: its own guard region faults, and the report names
;; that memory's size.
(module $oob_memory1
  (memory (export "memory") 2)
  (memory $small 1)
  (func $load_second (param $addr i32) (result i32)
    (i32.load $small (local.get $addr)))
  (func $_start (export "_start")
    (drop (call $load_second (i32.const 0x10000)))))
