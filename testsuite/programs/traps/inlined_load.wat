;; A small function whose load faults, inlined into its caller: the backtrace still names
;; the inlined function at its load and the caller at the call, as wasmtime shows them.
;; `$_start` calls `$sum` through the table, so that `$sum` is compiled on its own with
;; `$eq_load` inlined (not itself inlined into `$_start`).
(module $inlined_load
  (type $binary (func (param i32 i32) (result i32)))
  (memory (export "memory") 1)
  (table 1 funcref)
  (elem (i32.const 0) $sum)
  (func $eq_load (param $x i32) (param $p i32) (result i32)
    (i32.eq (local.get $x) (i32.load (local.get $p))))
  (func $sum (type $binary) (param $x i32) (param $p i32) (result i32)
    (call $eq_load (local.get $x) (local.get $p)))
  (func $_start (export "_start")
    (drop (call_indirect (type $binary) (i32.const 3) (i32.const 0) (i32.const 0)))
    (drop (call_indirect (type $binary) (i32.const 3) (i32.const 0x10000) (i32.const 0)))))
