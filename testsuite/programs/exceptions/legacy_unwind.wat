;; The legacy exception instructions (`try`/`catch`/`catch_all`/`rethrow`/`delegate`, what
;; clang-16 and Emscripten emit) thrown across a thousand frames and caught by tag:
;; `catch_all` levels count what passes and `rethrow` it, `delegate` skips a `catch_all`
;; that would swallow the exception (to the caller, or to an outer `try` that catches it by
;; tag and rethrows). wasmtime cannot run these; the test's expected output follows from
;; the legacy proposal's semantics.
(module $legacy_unwind
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 256) "small pair returned passes loop delegated swallowed \n")

  (tag $small (param i32))
  (tag $pair (param i64 i32))
  (tag $empty)
  (global $passes (mut i32) (i32.const 0))
  (global $delegated (mut i32) (i32.const 0))
  (global $swallowed (mut i32) (i32.const 0))

  (func $write (param $ptr i32) (param $len i32)
    (i32.store (i32.const 0) (local.get $ptr))
    (i32.store (i32.const 4) (local.get $len))
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8))))
  ;; Words of the data segment: small=0 pair=1 returned=2 passes=3 loop=4 delegated=5
  ;; swallowed=6.
  (func $word (param $w i32)
    (call $write
      (i32.add (i32.const 256) (i32.load8_u offset=512 (local.get $w)))
      (i32.load8_u offset=520 (local.get $w))))
  (func $newline (call $write (i32.const 308) (i32.const 1)))
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
  ;; count what passes and rethrow it; levels 25, 125, ... delegate past a `catch_all` to
  ;; their caller; levels 75, 175, ... delegate past a `catch_all` to a `try` that catches
  ;; $small, counts it and rethrows it; the other levels 10, 20, ... catch only $empty and
  ;; answer 1000. Returns the depth plus what the levels below answered.
  (func $descend (param $depth i32) (param $kind i32) (result i32)
    (if (i32.eqz (local.get $depth))
      (then (call $bottom (local.get $kind)) (return (i32.const 0))))
    (if (i32.eq (i32.rem_u (local.get $depth) (i32.const 100)) (i32.const 50))
      (then
        try (result i32)
          (i32.add
            (call $descend (i32.sub (local.get $depth) (i32.const 1)) (local.get $kind))
            (i32.const 1))
        catch_all
          (global.set $passes (i32.add (global.get $passes) (i32.const 1)))
          rethrow 0
        end
        return))
    (if (i32.eq (i32.rem_u (local.get $depth) (i32.const 100)) (i32.const 25))
      (then
        try (result i32)
          try (result i32)
            (i32.add
              (call $descend (i32.sub (local.get $depth) (i32.const 1)) (local.get $kind))
              (i32.const 1))
          delegate 1
        catch_all
          (global.set $swallowed (i32.const 1))
          (i32.const 0)
        end
        return))
    (if (i32.eq (i32.rem_u (local.get $depth) (i32.const 100)) (i32.const 75))
      (then
        try $t (result i32)
          try (result i32)
            try (result i32)
              (i32.add
                (call $descend (i32.sub (local.get $depth) (i32.const 1)) (local.get $kind))
                (i32.const 1))
            delegate $t
          catch_all
            (global.set $swallowed (i32.const 1))
            (i32.const 0)
          end
        catch $small
          drop
          (global.set $delegated (i32.add (global.get $delegated) (i32.const 1)))
          rethrow 0
        end
        return))
    (if (i32.eqz (i32.rem_u (local.get $depth) (i32.const 10)))
      (then
        try (result i32)
          (i32.add
            (call $descend (i32.sub (local.get $depth) (i32.const 1)) (local.get $kind))
            (i32.const 1))
        catch $empty
          (i32.const 1000)
        end
        return))
    (i32.add
      (call $descend (i32.sub (local.get $depth) (i32.const 1)) (local.get $kind))
      (i32.const 1)))

  ;; One line: what `descend(depth, kind)` ended with, and the counters.
  (func $run (param $kind i32) (param $depth i32)
    (local $b i32)
    (global.set $passes (i32.const 0))
    (global.set $delegated (i32.const 0))
    (global.set $swallowed (i32.const 0))
    try
      (local.set $b (call $descend (local.get $depth) (local.get $kind)))
      (call $word (i32.const 2))
      (call $num (i64.extend_i32_u (local.get $b)))
    catch $small
      local.set $b
      (call $word (i32.const 0))
      (call $num (i64.extend_i32_u (local.get $b)))
    catch $pair
      local.set $b
      (call $word (i32.const 1))
      call $num
      (call $num (i64.extend_i32_u (local.get $b)))
    end
    (call $word (i32.const 3))
    (call $num (i64.extend_i32_u (global.get $passes)))
    (call $word (i32.const 5))
    (call $num (i64.extend_i32_u (global.get $delegated)))
    (call $word (i32.const 6))
    (call $num (i64.extend_i32_u (global.get $swallowed)))
    (call $newline))

  ;; Ten thousand throws, each caught twenty frames up: the stack does not leak.
  (func $loop
    (local $i i32) (local $v i32) (local $sum i64)
    (loop $again
      try (result i32)
        (call $descend (i32.const 20) (i32.const 0))
      catch $small
      end
      (local.set $v)
      (local.set $sum (i64.add (local.get $sum) (i64.extend_i32_u (local.get $v))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $again (i32.lt_u (local.get $i) (i32.const 10000))))
    (call $word (i32.const 4))
    (call $num (local.get $sum))
    (call $newline))

  (func (export "_start")
    ;; word offsets and lengths, read by $word
    (i64.store offset=512 (i32.const 0) (i64.const 0x00_2a_20_1b_14_0b_06_00))
    (i64.store offset=520 (i32.const 0) (i64.const 0x00_0a_0a_05_07_09_05_06))
    (call $run (i32.const 0) (i32.const 1000))
    (call $run (i32.const 1) (i32.const 1000))
    (call $run (i32.const 2) (i32.const 1000))
    (call $run (i32.const 3) (i32.const 1000))
    (call $loop))
)
