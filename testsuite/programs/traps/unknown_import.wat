;; Compiled with --unknown-imports=trap: calling `env.missing` traps.
(module $unknown_import
  (import "env" "missing" (func $missing (param i32) (result i32)))
  (memory (export "memory") 1)
  (func $use_it (result i32) (call $missing (i32.const 1)))
  (func $_start (export "_start") (drop (call $use_it))))
