;; Exception handling: a call inside a `try_table` is a `try_call` whose exception table
;; holds the vmctx (the context the tags are resolved in) and the clauses; `throw` asks
;; the runtime for an exception object, stores the payload and throws it; a legacy `try`
;; delegating to the function label leaves its calls without handlers.
;;! disas
(module
  (tag $e (param i32))
  (func $callee (param i32) (result i32) (local.get 0))
  (func (export "catch") (param i32) (result i32)
    (block $h (result i32)
      (try_table (result i32) (catch $e $h)
        (call $callee (local.get 0))))
  )
  (func (export "throw") (param i32)
    (throw $e (local.get 0)))
  (func (export "legacy") (param i32) (result i32)
    try (result i32)
      try (result i32)
        (call $callee (local.get 0))
      delegate 1
    catch $e
    end)
)
