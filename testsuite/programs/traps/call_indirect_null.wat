;; call_indirect of a table slot that holds null.
(module $call_indirect_null
  (memory (export "memory") 1)
  (type $v (func))
  (table 4 funcref)
  (elem (i32.const 0) $target)
  (func $target)
  (func $dispatch (param $i i32)
    (call_indirect (type $v) (local.get $i)))
  (func $_start (export "_start")
    (call $dispatch (i32.const 0))
    (call $dispatch (i32.const 2))))
