;; A small function whose store faults, inlined (the compiler inlines small callees that
;; access memory) at both calls of `$twice`, of which the second faults: the backtrace still
;; names the inlined function at its store and the caller at the call that faulted, as
;; wasmtime shows them. `$_start` calls `$twice` through the table, so that `$twice` is
;; compiled on its own with both calls inlined (not itself inlined into `$_start`).
(module $inlined_store
  (type $pair (func (param i32 i32)))
  (memory (export "memory") 1)
  (table 1 funcref)
  (elem (i32.const 0) $twice)
  (func $store_at (param $addr i32)
    (i32.store (local.get $addr) (i32.const 7)))
  (func $twice (type $pair) (param $a i32) (param $b i32)
    (call $store_at (local.get $a))
    (call $store_at (local.get $b)))
  (func $_start (export "_start")
    (call_indirect (type $pair) (i32.const 16) (i32.const 0x10000) (i32.const 0))))
