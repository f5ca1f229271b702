;; Direct calls (to defined and imported functions) and call_indirect with its bound,
;; null and signature checks.
;;! disas
(module
  (import "env" "host" (func $host (param i32) (result i32)))
  (type $binop (func (param i32 i32) (result i32)))
  (table 4 funcref)
  (elem (i32.const 0) $add $sub)
  (func $add (type $binop) local.get 0 local.get 1 i32.add)
  (func $sub (type $binop) local.get 0 local.get 1 i32.sub)
  (func $direct (export "direct") (param i32) (result i32)
    local.get 0
    local.get 0
    call $add
    call $host)
  (func $indirect (export "indirect") (param i32 i32 i32) (result i32)
    local.get 0
    local.get 1
    local.get 2
    call_indirect (type $binop))
)
