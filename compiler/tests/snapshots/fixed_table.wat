;; call_indirect through a table whose maximum is its minimum, as clang and rustc declare
;; the table of function pointers: the bound is an immediate and the element array's base
;; is loaded once (read-only), not again after each call; the elements are reloaded.
;;! disas
(module
  (type $cmp (func (param i32 i32) (result i32)))
  (table 2 2 funcref)
  (elem (i32.const 0) $lt $gt)
  (func $lt (type $cmp) local.get 0 local.get 1 i32.lt_s)
  (func $gt (type $cmp) local.get 0 local.get 1 i32.gt_s)
  (func $twice (export "twice") (param i32 i32 i32) (result i32)
    local.get 1
    local.get 2
    local.get 0
    call_indirect (type $cmp)
    local.get 2
    local.get 1
    local.get 0
    call_indirect (type $cmp)
    i32.add))
