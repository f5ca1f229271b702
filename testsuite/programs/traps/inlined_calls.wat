;; Small functions whose only calls are direct calls (wrappers such as wasi-libc's `malloc`)
;; are inlined by Kiln: a trap below them must still show their frames, at the offsets of
;; their calls, as wasmtime does.
(module $inlined_calls
  (memory (export "memory") 1)
  (func $boom (param $x i32) (result i32)
    (i32.div_u (i32.const 1) (local.get $x)))
  ;; A wrapper, inlined into its callers, calling a wrapper.
  (func $inner (param $x i32) (result i32)
    (call $boom (local.get $x)))
  (func $outer (param $x i32) (result i32)
    (i32.add (i32.const 1) (call $inner (local.get $x))))
  ;; Recursive: inlined into itself once.
  (func $down (param $n i32) (result i32)
    (if (result i32) (local.get $n)
      (then (call $down (i32.sub (local.get $n) (i32.const 1))))
      (else (call $outer (i32.const 0)))))
  (func $_start (export "_start")
    (drop (call $outer (i32.const 5)))
    (drop (call $down (i32.const 3)))))
