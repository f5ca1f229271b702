;; Integer and float arithmetic, comparisons and conversions, including the ones that trap
;; (division, float-to-int truncation) and the saturating ones that do not.
;;! disas
(module
  (func $i32_ops (export "i32_ops") (param i32 i32) (result i32)
    local.get 0
    local.get 1
    i32.add
    local.get 1
    i32.mul
    local.get 0
    i32.sub
    i32.const 3
    i32.shl
    local.get 1
    i32.rotr
    i32.popcnt)
  (func $i32_div (export "i32_div") (param i32 i32) (result i32)
    local.get 0
    local.get 1
    i32.div_s
    local.get 1
    i32.rem_u)
  (func $i64_cmp (export "i64_cmp") (param i64 i64) (result i32)
    local.get 0
    local.get 1
    i64.lt_u
    local.get 0
    i64.eqz
    i32.or)
  (func $floats (export "floats") (param f64 f32) (result f64)
    local.get 0
    local.get 1
    f64.promote_f32
    f64.add
    f64.sqrt
    local.get 0
    f64.copysign
    f64.nearest)
  (func $conversions (export "conversions") (param f64) (result i64)
    local.get 0
    i64.trunc_f64_s
    local.get 0
    i32.trunc_sat_f64_u
    i64.extend_i32_u
    i64.add)
)
