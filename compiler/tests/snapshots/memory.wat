;; Loads and stores of every width, with offsets: no bounds checks, the guard region
;; catches what is out of bounds.
;;! disas
(module
  (memory 1 10)
  (func $load_widths (export "load_widths") (param i32) (result i64)
    local.get 0
    i32.load8_s
    i64.extend_i32_s
    local.get 0
    i64.load16_u offset=2
    i64.add
    local.get 0
    i64.load32_s offset=8
    i64.add
    local.get 0
    i64.load offset=16 align=4
    i64.add)
  (func $store_widths (export "store_widths") (param i32 i64 f32 f64)
    local.get 0
    local.get 1
    i64.store8
    local.get 0
    local.get 1
    i64.store32 offset=4
    local.get 0
    local.get 2
    f32.store offset=8
    local.get 0
    local.get 3
    f64.store offset=65536)
)
