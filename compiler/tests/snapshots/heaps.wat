;; Several memories and the bounds-check strategy of each (translate/heap.rs): memory 0
;; (32-bit) as fast as ever, memory 1 (32-bit) with its base from `vmctx.memories`, no
;; check either; memory 2 (64-bit) compares the index with the length when the guard covers
;; offset + size, and checks index + offset + size when it does not.
;;! disas
(module
  (memory $m0 1)
  (memory $m1 1)
  (memory $m64 i64 1)
  (func $guarded (export "guarded") (param i32) (result i32)
    (i32.add (i32.load $m0 (local.get 0))
             (i32.load $m1 offset=8 (local.get 0))))
  (func $checked64 (export "checked64") (param i64 i64)
    (i64.store $m64 offset=16 (local.get 0) (local.get 1))
    (i64.store $m64 offset=0x100000000 (local.get 0) (local.get 1)))
  (func $size_grow64 (export "size_grow64") (param i64) (result i64)
    (i64.add (memory.size $m64) (memory.grow $m64 (local.get 0))))
)
