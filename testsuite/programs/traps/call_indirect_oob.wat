;; call_indirect with an index past the end of the table.
(module $call_indirect_oob
  (memory (export "memory") 1)
  (type $v (func))
  (table 2 funcref)
  (elem (i32.const 0) $target $target)
  (func $target)
  (func $dispatch (param $i i32)
    (call_indirect (type $v) (local.get $i)))
  (func $_start (export "_start")
    (call $dispatch (i32.const 1))
    (call $dispatch (i32.const 5))))
