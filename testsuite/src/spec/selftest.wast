;; The harness's own check (tests/spec.rs `harness_rejects_what_it_should`). A directive
;; whose first line ends in a `FAILS:` comment must fail with a message containing the
;; comment's text;
;; every other directive must pass. The passing ones are the controls: each negative case
;; sits beside the same check written right, so a harness that rejects everything fails too.
(module $m
  (func (export "one") (result i32) (i32.const 1))
  (func (export "nan") (result f32) (f32.const nan:0x200000))
  (func (export "neg-nan") (result f64) (f64.const -nan:0x4000000000000))
  (func (export "snan32") (result f32) (f32.const nan:0x1))
  (func (export "snan64") (result f64) (f64.const -nan:0x1))
  (func (export "qnan32") (result f32) (f32.const -nan:0x400001))
  (func (export "neg-zero32") (result f32) (f32.const -0))
  (func (export "neg-zero64") (result f64) (f64.const -0))
  (func (export "trap") (unreachable))
  (func (export "div") (param i32) (result i32) (i32.div_s (i32.const 1) (local.get 0)))
  (func (export "ok"))
  (func (export "null") (result externref) (ref.null extern))
  (func (export "id") (param externref) (result externref) (local.get 0))
  (global (export "g") i32 (i32.const 7))
  ;; One table of 2 entries: call_indirect past its end is `undefined element`, a table
  ;; instruction past its end is `out of bounds table access`.
  (table $t 2 funcref)
  (elem (i32.const 0) $ok)
  (func $ok)
  (func (export "call-at") (param i32) (call_indirect (local.get 0)))
  (func (export "get-at") (param i32) (drop (table.get $t (local.get 0))))
  ;; Controls a compiler bug fails: a constant computation and a narrow store.
  (memory 1)
  (func (export "sub") (result i32) (i32.sub (i32.const 10) (i32.const 3)))
  (func (export "store8") (result i32)
    (i32.store8 (i32.const 8) (i32.const 0x1ff))
    (i32.load (i32.const 8)))
)
(assert_return (invoke "one") (i32.const 1))
(assert_return (invoke "sub") (i32.const 7))
(assert_return (invoke "store8") (i32.const 255))
(assert_return (invoke "one") (i32.const 2)) ;; FAILS: expected [i32:2], got [i32:1]
(assert_return (invoke "one")) ;; FAILS: expected [], got [i32:1]
(assert_return (invoke "nan") (f32.const nan:arithmetic)) ;; FAILS: expected [f32:nan:arithmetic], got [f32:NaN (0x7fa00000)]
(assert_return (invoke "nan") (f32.const nan:canonical)) ;; FAILS: expected [f32:nan:canonical]
(assert_return (invoke "neg-nan") (f64.const nan:canonical)) ;; FAILS: expected [f64:nan:canonical]
(assert_return (invoke "qnan32") (f32.const nan:arithmetic))
(assert_return (invoke "snan32") (f32.const nan:arithmetic)) ;; FAILS: expected [f32:nan:arithmetic]
(assert_return (invoke "snan64") (f64.const nan:arithmetic)) ;; FAILS: expected [f64:nan:arithmetic]
(assert_return (invoke "one") (i32.const 1))
(assert_return (invoke "neg-zero32") (f32.const -0))
(assert_return (invoke "neg-zero32") (f32.const 0)) ;; FAILS: expected [f32:0 (0x00000000)]
(assert_return (invoke "neg-zero64") (f64.const -0))
(assert_return (invoke "neg-zero64") (f64.const 0)) ;; FAILS: expected [f64:0 (0x0000000000000000)]
(assert_return (invoke "trap")) ;; FAILS: trap `wasm `unreachable` instruction executed`
(assert_trap (invoke "trap") "unreachable")
(assert_trap (invoke "ok") "unreachable") ;; FAILS: expected trap `unreachable`, got []
(assert_trap (invoke "div" (i32.const 0)) "integer divide by zero")
(assert_trap (invoke "div" (i32.const 0)) "unreachable") ;; FAILS: got trap `integer divide by zero` [IntegerDivisionByZero]
(assert_trap (invoke "trap") "integer divide by zero") ;; FAILS: got trap `wasm `unreachable` instruction executed` [Unreachable]
(assert_trap (invoke "call-at" (i32.const 1)) "uninitialized element")
(assert_trap (invoke "call-at" (i32.const 2)) "undefined element")
(assert_trap (invoke "call-at" (i32.const 2)) "out of bounds table access") ;; FAILS: [UndefinedElement]
(assert_trap (invoke "get-at" (i32.const 2)) "out of bounds table access")
(assert_trap (invoke "get-at" (i32.const 2)) "undefined element") ;; FAILS: [TableOutOfBounds]
(assert_exhaustion (invoke "ok") "call stack exhausted") ;; FAILS: expected `call stack exhausted`, returned normally
(assert_return (invoke "null") (ref.null extern))
(assert_return (invoke "null") (ref.extern 1)) ;; FAILS: expected [ref.extern 1], got [ref.null extern]
(assert_return (invoke "id" (ref.extern 1)) (ref.extern 1))
(assert_return (invoke "id" (ref.extern 1)) (ref.extern 2)) ;; FAILS: expected [ref.extern 2], got [ref.extern 1]
(assert_return (invoke "id" (ref.extern 0)) (ref.null extern)) ;; FAILS: expected [ref.null], got [ref.extern 0]
(assert_return (get "g") (i32.const 7))
(assert_return (get "g") (i32.const 8)) ;; FAILS: expected [i32:8], got [i32:7]
(assert_invalid (module (func (result i32) (i64.const 0))) "type mismatch")
(assert_invalid (module (func (export "f") (result i32) (i32.const 0))) "type mismatch") ;; FAILS: but the module compiled
(assert_malformed (module binary "\00asm\01\00\00\00") "unexpected end") ;; FAILS: but the module compiled
(assert_unlinkable (module (func (import "spectest" "print_i32") (param i32))) "incompatible import type") ;; FAILS: instantiated
(assert_unlinkable (module (func (import "spectest" "print_i32") (param i64))) "incompatible import type")
(assert_trap (module (func $f) (start $f)) "unreachable") ;; FAILS: expected trap `unreachable`, got []
(invoke "no-such-export") ;; FAILS: no-such-export
(module (func (import "nowhere" "f"))) ;; FAILS: unknown import nowhere.f

;; `register` must bind the name to that instance, and only that one.
(module $a (func (export "f") (result i32) (i32.const 1)))
(module $b (func (export "f") (result i32) (i32.const 2)))
(register "m" $a)
(module $c
  (func $f (import "m" "f") (result i32))
  (func (export "call-f") (result i32) (call $f)))
(assert_return (invoke $c "call-f") (i32.const 1))
(assert_return (invoke $c "call-f") (i32.const 2)) ;; FAILS: expected [i32:2], got [i32:1]
(module (func (import "b" "f") (result i32))) ;; FAILS: unknown import b.f
(register "n" $nowhere) ;; FAILS: no instance named $nowhere
(assert_return (invoke $b "f") (i32.const 2))
(assert_return (invoke $m "one") (i32.const 1))
