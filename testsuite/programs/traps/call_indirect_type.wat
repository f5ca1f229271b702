;; call_indirect of a function whose type is not the expected one.
(module $call_indirect_type
  (memory (export "memory") 1)
  (type $v (func))
  (type $ii (func (param i32) (result i32)))
  (table 2 funcref)
  (elem (i32.const 0) $target $other)
  (func $target)
  (func $other (param i32) (result i32) (local.get 0))
  (func $dispatch (param $i i32)
    (call_indirect (type $v) (local.get $i)))
  (func $_start (export "_start")
    (call $dispatch (i32.const 0))
    (call $dispatch (i32.const 1))))
