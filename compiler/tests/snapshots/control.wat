;; Structured control flow: blocks, loops, if/else with results, br_if, br_table and
;; multi-value blocks; code after an unconditional branch is not translated.
(module
  (func $sum_to (export "sum_to") (param $n i32) (result i32)
    (local $acc i32)
    block $done
      loop $next
        local.get $n
        i32.eqz
        br_if $done
        local.get $acc
        local.get $n
        i32.add
        local.set $acc
        local.get $n
        i32.const 1
        i32.sub
        local.set $n
        br $next
      end
    end
    local.get $acc)
  (func $classify (export "classify") (param i32) (result i32)
    block $c
      block $b
        block $a
          local.get 0
          br_table $a $b $c
        end
        i32.const 10
        return
      end
      i32.const 20
      return
    end
    i32.const 30)
  (func $select_if (export "select_if") (param i32 i32) (result i32)
    local.get 0
    if (result i32)
      local.get 1
      i32.const 1
      i32.add
    else
      local.get 1
      i32.const 2
      i32.mul
    end
    local.get 0
    local.get 1
    local.get 0
    select
    i32.add)
  (func $multi (export "multi") (param i32) (result i32 i32)
    local.get 0
    block (param i32) (result i32 i32)
      i32.const 7
    end)
  (func $dead (export "dead") (result i32)
    i32.const 1
    return
    i32.const 2
    drop
    unreachable)
)
