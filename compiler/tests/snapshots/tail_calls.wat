;; Tail calls: return_call of a defined function and of an import (through
;; vmctx.imported_funcs, to the callee or the host adapter), and return_call_indirect with
;; call_indirect's checks. The caller's frame is gone before the callee runs.
;;! disas
(module
  (import "env" "host" (func $host (param i32) (result i32)))
  (type $unop (func (param i32) (result i32)))
  (table 2 funcref)
  (elem (i32.const 0) $countdown)
  (func $countdown (type $unop)
    (if (result i32) (i32.eqz (local.get 0))
      (then (i32.const 0))
      (else (return_call $countdown (i32.sub (local.get 0) (i32.const 1))))))
  (func $to_host (export "to_host") (param i32) (result i32)
    (return_call $host (local.get 0)))
  (func $indirect (export "indirect") (param i32 i32) (result i32)
    (return_call_indirect (type $unop) (local.get 0) (local.get 1)))
)
