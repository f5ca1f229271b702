;; Typed function references and extended constant expressions in a WASI command:
;; call_ref through a typed table with an initialiser, ref.func into typed locals and
;; globals, br_on_null / br_on_non_null / ref.as_non_null, and extended constants in a
;; global, a data offset, an element offset and a table initialiser. Prints one line per
;; result; compared with `wasmtime run` (tests/wasi_programs.rs).
(module
  (import "wasi_snapshot_preview1" "fd_write"
    (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)

  (type $binop (func (param i32 i32) (result i32)))
  (type $unop (func (param i32) (result i32)))

  (func $add (type $binop) (i32.add (local.get 0) (local.get 1)))
  (func $sub (type $binop) (i32.sub (local.get 0) (local.get 1)))
  (func $mul (type $binop) (i32.mul (local.get 0) (local.get 1)))
  (func $min (type $binop)
    (select (local.get 0) (local.get 1) (i32.lt_s (local.get 0) (local.get 1))))
  (func $double (type $unop) (i32.shl (local.get 0) (i32.const 1)))

  ;; Extended constants, folded by the compiler: 6*7 = 42, 1000-1 = 999.
  (global $answer i32 (i32.mul (i32.const 6) (i32.const 7)))
  (global $big i64 (i64.sub (i64.mul (i64.const 1000) (i64.const 1000000)) (i64.const 1)))
  (global $first (ref $binop) (ref.func $add))
  (global $maybe (mut (ref null $unop)) (ref.null $unop))

  ;; Every slot starts as $add (a non-nullable table needs an initialiser); slots 1..3
  ;; are overwritten by an element segment at an extended-constant offset (3-2 = 1).
  (table $ops 4 (ref $binop) (ref.func $add))
  (elem (table $ops) (i32.sub (i32.const 3) (i32.const 2)) (ref $binop)
    (ref.func $sub) (ref.func $mul) (ref.func $min))

  ;; The label text at offset 16+4*4 = 32.
  (data (i32.add (i32.const 16) (i32.mul (i32.const 4) (i32.const 4))) "result ")

  ;; Buffer for one line at 64, iovec at 8.
  (func $print_line (param $label i32) (param $v i64)
    (local $p i32) (local $start i32) (local $neg i32) (local $len i32) (local $i i32)
    (local $tmp i32)
    ;; "result " then the label digit then ": " then the number, "\n".
    (memory.copy (i32.const 64) (i32.const 32) (i32.const 7))
    (i32.store8 (i32.const 71) (i32.add (i32.const 48) (local.get $label)))
    (i32.store16 (i32.const 72) (i32.const 0x203a)) ;; ": "
    (local.set $p (i32.const 74))
    (if (i64.lt_s (local.get $v) (i64.const 0))
      (then
        (i32.store8 (local.get $p) (i32.const 45))
        (local.set $p (i32.add (local.get $p) (i32.const 1)))
        (local.set $v (i64.sub (i64.const 0) (local.get $v)))))
    (local.set $start (local.get $p))
    (loop $digits
      (i32.store8 (local.get $p)
        (i32.add (i32.const 48) (i32.wrap_i64 (i64.rem_u (local.get $v) (i64.const 10)))))
      (local.set $p (i32.add (local.get $p) (i32.const 1)))
      (local.set $v (i64.div_u (local.get $v) (i64.const 10)))
      (br_if $digits (i64.ne (local.get $v) (i64.const 0))))
    ;; Reverse the digits in place.
    (local.set $len (i32.sub (local.get $p) (local.get $start)))
    (local.set $i (i32.const 0))
    (block $done
      (loop $rev
        (br_if $done (i32.ge_s (local.get $i)
          (i32.sub (i32.sub (local.get $len) (local.get $i)) (i32.const 1))))
        (local.set $tmp (i32.load8_u (i32.add (local.get $start) (local.get $i))))
        (i32.store8 (i32.add (local.get $start) (local.get $i))
          (i32.load8_u (i32.sub (i32.add (local.get $start) (local.get $len))
            (i32.add (local.get $i) (i32.const 1)))))
        (i32.store8 (i32.sub (i32.add (local.get $start) (local.get $len))
            (i32.add (local.get $i) (i32.const 1)))
          (local.get $tmp))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $rev)))
    (i32.store8 (local.get $p) (i32.const 10))
    (i32.store (i32.const 8) (i32.const 64))
    (i32.store (i32.const 12) (i32.sub (i32.add (local.get $p) (i32.const 1)) (i32.const 64)))
    (drop (call $fd_write (i32.const 1) (i32.const 8) (i32.const 1) (i32.const 0))))

  ;; Applies table slot $i to (a, b) with call_ref.
  (func $apply (param $i i32) (param $a i32) (param $b i32) (result i32)
    (call_ref $binop (local.get $a) (local.get $b) (table.get $ops (local.get $i))))

  ;; $f if it is not null, else its argument unchanged (br_on_null).
  (func $maybe_apply (param $f (ref null $unop)) (param $x i32) (result i32)
    (block $null
      (return (call_ref $unop (local.get $x) (br_on_null $null (local.get $f)))))
    (local.get $x))

  ;; 1 when $f is not null (br_on_non_null), else 0.
  (func $is_set (param $f (ref null $unop)) (result i32)
    (block $set (param) (result (ref $unop))
      (br_on_non_null $set (local.get $f))
      (return (i32.const 0)))
    (drop)
    (i32.const 1))

  (func (export "_start")
    (local $op (ref null $binop))
    (local $i i32)
    ;; Slots 0..3: add, sub, mul, min of (global $answer, 5).
    (loop $each
      (call $print_line (local.get $i)
        (i64.extend_i32_s (call $apply (local.get $i) (global.get $answer) (i32.const 5))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $each (i32.lt_u (local.get $i) (i32.const 4))))
    ;; A typed global and a typed local, through ref.as_non_null.
    (local.set $op (global.get $first))
    (call $print_line (i32.const 4)
      (i64.extend_i32_s
        (call_ref $binop (i32.const -50) (i32.const 8) (ref.as_non_null (local.get $op)))))
    ;; A nullable global, before and after it is set.
    (call $print_line (i32.const 5)
      (i64.extend_i32_s (call $maybe_apply (global.get $maybe) (i32.const 21))))
    (call $print_line (i32.const 6) (i64.extend_i32_u (call $is_set (global.get $maybe))))
    (global.set $maybe (ref.func $double))
    (call $print_line (i32.const 7)
      (i64.extend_i32_s (call $maybe_apply (global.get $maybe) (i32.const 21))))
    (call $print_line (i32.const 8) (i64.extend_i32_u (call $is_set (global.get $maybe))))
    (call $print_line (i32.const 9) (global.get $big)))

  (elem declare func $double))
