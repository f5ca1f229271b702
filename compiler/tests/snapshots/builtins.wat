;; Instructions that call runtime builtins: memory.size/grow, bulk memory, table.grow,
;; and the trap on a builtin's failure flag.
(module
  (memory 1)
  (table 1 funcref)
  (data $d "hello")
  (func $grow (export "grow") (param i32) (result i32)
    memory.size
    local.get 0
    memory.grow
    i32.add)
  (func $bulk (export "bulk") (param i32 i32 i32)
    local.get 0
    local.get 1
    local.get 2
    memory.copy
    local.get 0
    i32.const 0
    local.get 2
    memory.fill
    local.get 0
    i32.const 0
    i32.const 5
    memory.init $d
    data.drop $d)
  (func $table_grow (export "table_grow") (result i32)
    ref.null func
    i32.const 1
    table.grow 0)
)
