;; Compiled with --unknown-imports=trap: `env.missing` called through a table traps too.
(module $unknown_import_table
  (import "env" "missing" (func $missing (param i32) (result i32)))
  (memory (export "memory") 1)
  (type $ii (func (param i32) (result i32)))
  (table 1 funcref)
  (elem (i32.const 0) $missing)
  (func $dispatch (param $i i32) (result i32)
    (call_indirect (type $ii) (i32.const 7) (local.get $i)))
  (func $_start (export "_start") (drop (call $dispatch (i32.const 0)))))
