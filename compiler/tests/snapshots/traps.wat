;; Every way compiled code traps: unreachable, integer overflow and division by zero,
;; invalid conversions, out-of-bounds memory and table accesses.
;;! disas
(module
  (memory 1)
  (table 2 funcref)
  (func $unreachable (export "unreachable")
    unreachable)
  (func $overflow (export "overflow") (param i32) (result i32)
    i32.const 0x80000000
    local.get 0
    i32.div_s)
  (func $bad_conversion (export "bad_conversion") (param f32) (result i32)
    local.get 0
    i32.trunc_f32_u)
  (func $oob (export "oob") (param i32) (result i32)
    local.get 0
    i32.load offset=0xfffffff0)
  (func $table_oob (export "table_oob") (param i32) (result funcref)
    local.get 0
    table.get 0)
)
