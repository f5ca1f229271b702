;; Exceptions thrown across a thousand frames and caught by tag (`try_table`, exnref):
;; handlers for other tags pass them by, `catch_all_ref` levels count them and rethrow
;; them with `throw_ref`, an exnref outlives its handler in a global. Compared with
;; `wasmtime run -W exceptions=y`.
(module $exnref_unwind
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 256) "small pair returned passes loop saved \n")

  (tag $small (param i32))
  (tag $pair (param i64 i32))
  (tag $empty)
  (global $passes (mut i32) (i32.const 0))
  (global $saved (mut exnref) (ref.null exn))

  (func $write (param $ptr i32) (param $len i32)
    (i32.store (i32.const 0) (local.get $ptr))
    (i32.store (i32.const 4) (local.get $len))
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8))))
  ;; Words of the data segment: small=0 pair=1 returned=2 passes=3 loop=4 saved=5.
  (func $word (param $w i32)
    (call $write
      (i32.add (i32.const 256) (i32.load8_u offset=512 (local.get $w)))
      (i32.load8_u offset=520 (local.get $w))))
  (func $newline (call $write (i32.const 294) (i32.const 1)))
  ;; `n` in decimal and a space.
  (func $num (param $n i64)
    (local $p i32)
    (local.set $p (i32.const 96))
    (i32.store8 (i32.const 96) (i32.const 32))
    (loop $digits
      (local.set $p (i32.sub (local.get $p) (i32.const 1)))
      (i32.store8 (local.get $p)
        (i32.add (i32.const 48) (i32.wrap_i64 (i64.rem_u (local.get $n) (i64.const 10)))))
      (local.set $n (i64.div_u (local.get $n) (i64.const 10)))
      (br_if $digits (i64.ne (local.get $n) (i64.const 0))))
    (call $write (local.get $p) (i32.sub (i32.const 97) (local.get $p))))

  (func $bottom (param $kind i32)
    (if (i32.eq (local.get $kind) (i32.const 0)) (then (throw $small (i32.const 42))))
    (if (i32.eq (local.get $kind) (i32.const 1))
      (then (throw $pair (i64.const 1234567890123) (i32.const 7))))
    (if (i32.eq (local.get $kind) (i32.const 2)) (then (throw $empty))))

  ;; Recurses `depth` frames, then `bottom` throws (or not) by `kind`. Levels 50, 150, ...
  ;; count what passes and rethrow it; the other levels 10, 20, ... catch only $empty and
  ;; answer 1000. Returns the depth plus what the levels below answered.
  (func $descend (param $depth i32) (param $kind i32) (result i32)
    (local $exn exnref)
    (if (i32.eqz (local.get $depth))
      (then (call $bottom (local.get $kind)) (return (i32.const 0))))
    (if (i32.eq (i32.rem_u (local.get $depth) (i32.const 100)) (i32.const 50))
      (then
        (block $h (result exnref)
          (return
            (try_table (result i32) (catch_all_ref $h)
              (i32.add
                (call $descend (i32.sub (local.get $depth) (i32.const 1)) (local.get $kind))
                (i32.const 1)))))
        (local.set $exn)
        (global.set $passes (i32.add (global.get $passes) (i32.const 1)))
        (throw_ref (local.get $exn))))
    (if (i32.eqz (i32.rem_u (local.get $depth) (i32.const 10)))
      (then
        (block $h
          (return
            (try_table (result i32) (catch $empty $h)
              (i32.add
                (call $descend (i32.sub (local.get $depth) (i32.const 1)) (local.get $kind))
                (i32.const 1)))))
        (return (i32.const 1000))))
    (i32.add
      (call $descend (i32.sub (local.get $depth) (i32.const 1)) (local.get $kind))
      (i32.const 1)))

  ;; One line: what `descend(depth, kind)` ended with, and how many exceptions passed a
  ;; counting level.
  (func $run (param $kind i32) (param $depth i32)
    (local $b i32)
    (global.set $passes (i32.const 0))
    (block $done
      (block $on_small (result i32)
        (block $on_pair (result i64 i32)
          (try_table (catch $small $on_small) (catch $pair $on_pair)
            (local.set $b (call $descend (local.get $depth) (local.get $kind)))
            (call $word (i32.const 2))
            (call $num (i64.extend_i32_u (local.get $b))))
          (br $done))
        (local.set $b)
        (call $word (i32.const 1))
        (call $num)
        (call $num (i64.extend_i32_u (local.get $b)))
        (br $done))
      (local.set $b)
      (call $word (i32.const 0))
      (call $num (i64.extend_i32_u (local.get $b))))
    (call $word (i32.const 3))
    (call $num (i64.extend_i32_u (global.get $passes)))
    (call $newline))

  ;; Ten thousand throws, each caught twenty frames up: the stack does not leak.
  (func $loop
    (local $i i32) (local $v i32) (local $sum i64)
    (loop $again
      (block $c (result i32)
        (drop
          (try_table (result i32) (catch $small $c)
            (call $descend (i32.const 20) (i32.const 0))))
        (i32.const 0))
      (local.set $v)
      (local.set $sum (i64.add (local.get $sum) (i64.extend_i32_u (local.get $v))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $again (i32.lt_u (local.get $i) (i32.const 10000))))
    (call $word (i32.const 4))
    (call $num (local.get $sum))
    (call $newline))

  ;; An exnref kept in a global after its handler is gone, thrown again from elsewhere.
  (func $save
    (block $h (result i64 i32 exnref)
      (try_table (catch_ref $pair $h)
        (drop (call $descend (i32.const 30) (i32.const 1))))
      (return))
    (global.set $saved)
    (drop)
    (drop))
  (func $throw_saved (throw_ref (global.get $saved)))
  (func $saved
    (local $b i32)
    (block $h (result i64 i32)
      (try_table (catch $pair $h) (call $throw_saved))
      (return))
    (local.set $b)
    (call $word (i32.const 5))
    (call $num)
    (call $num (i64.extend_i32_u (local.get $b)))
    (call $newline))

  (func (export "_start")
    ;; word offsets and lengths, read by $word
    (i64.store offset=512 (i32.const 0) (i64.const 0x00_00_20_1b_14_0b_06_00))
    (i64.store offset=520 (i32.const 0) (i64.const 0x00_00_06_05_07_09_05_06))
    (call $run (i32.const 0) (i32.const 1000))
    (call $run (i32.const 1) (i32.const 1000))
    (call $run (i32.const 2) (i32.const 1000))
    (call $run (i32.const 3) (i32.const 1000))
    (call $loop)
    (call $save)
    (call $saved))
)
