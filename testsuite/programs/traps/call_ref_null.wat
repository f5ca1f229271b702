;; call_ref of a null typed function reference.
(module $call_ref_null
  (memory (export "memory") 1)
  (type $v (func))
  (global $f (mut (ref null $v)) (ref.null $v))
  (func $target)
  (func $dispatch (param $f (ref null $v))
    (call_ref $v (local.get $f)))
  (func $_start (export "_start")
    (call $dispatch (ref.func $target))
    (call $dispatch (global.get $f)))
  (elem declare func $target))
