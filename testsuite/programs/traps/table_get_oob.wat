;; table.get past the end of the table.
(module $table_get_oob
  (memory (export "memory") 1)
  (table $t 3 funcref)
  (func $get (param $i i32) (result funcref)
    (table.get $t (local.get $i)))
  (func $_start (export "_start")
    (drop (call $get (i32.const 3)))))
