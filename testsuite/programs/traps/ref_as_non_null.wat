;; ref.as_non_null of a null reference.
(module $ref_as_non_null
  (memory (export "memory") 1)
  (func $check (param $r funcref)
    (drop (ref.as_non_null (local.get $r))))
  (func $_start (export "_start")
    (call $check (ref.func $check))
    (call $check (ref.null func)))
  (elem declare func $check))
