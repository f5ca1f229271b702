;; Several memories, one of them 64-bit and grown past 4 GiB: data segments in every
;; memory, memory.copy between memories of both index types, memory.size/grow/fill per
;; memory, and a store and load above 4 GiB. Prints what it finds through memory 0 (the
;; exported `memory`, which WASI uses); compared with `wasmtime run -W
;; memory64=y,multi-memory=y`.
(module $memories
  (import "wasi_snapshot_preview1" "fd_write"
    (func $fd_write (param i32 i32 i32 i32) (result i32)))
  ;; Memory 0: output buffer at 0x100, iovec at 0x0, scratch for numbers at 0x80.
  (memory $out (export "memory") 1)
  ;; Memory 1: 64-bit, grown past 4 GiB below.
  (memory $big i64 1 0x20000)
  ;; Memory 2: 32-bit, text in two segments.
  (memory $text 1 1)
  ;; Memory 3: 64-bit with a segment at a 64-bit offset inside its first page.
  (memory $wide i64 2)
  (data (memory $text) (i32.const 16) "hello from memory 2\n")
  (data (memory $text) (i32.const 40) "and again, ")
  (data (memory $wide) (i64.const 0x1_0000) "memory 3, 64-bit offset 0x10000\n")
  (data (memory $big) (i64.const 8) "memory 1 before growth\n")

  ;; Writes bytes [0x100, 0x100 + len) of memory 0 to stdout.
  (func $flush (param $len i32)
    (i32.store $out (i32.const 0) (i32.const 0x100))
    (i32.store $out (i32.const 4) (local.get $len))
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8))))

  ;; Prints `label` (from memory 2) = the 16 hex digits of `v`.
  (func $hex (param $v i64)
    (local $i i32)
    (local.set $i (i32.const 15))
    (loop $digits
      (i32.store8 $out
        (i32.add (i32.const 0x100) (local.get $i))
        (i32.load8_u $out
          (i32.add (i32.const 0x80)
                   (i32.wrap_i64 (i64.and (local.get $v) (i64.const 15))))))
      (local.set $v (i64.shr_u (local.get $v) (i64.const 4)))
      (local.set $i (i32.sub (local.get $i) (i32.const 1)))
      (br_if $digits (i32.ge_s (local.get $i) (i32.const 0))))
    (i32.store8 $out (i32.const 0x110) (i32.const 10))
    (call $flush (i32.const 17)))

  (func (export "_start")
    (local $old i64)
    ;; Hex digits in memory 0, from memory 2 filled and patched.
    (memory.fill $text (i32.const 0x200) (i32.const 0x30) (i32.const 10))
    (i32.store8 $text (i32.const 0x201) (i32.const 0x31))
    (i64.store $text (i32.const 0x202) (i64.const 0x3938373635343332))
    (i32.store16 $text (i32.const 0x20a) (i32.const 0x6261))
    (i32.store $text (i32.const 0x20c) (i32.const 0x66656463))
    (memory.copy $out $text (i32.const 0x80) (i32.const 0x200) (i32.const 16))

    ;; memory 2 -> memory 0 (both 32-bit)
    (memory.copy $out $text (i32.const 0x100) (i32.const 16) (i32.const 20))
    (call $flush (i32.const 20))
    (memory.copy $out $text (i32.const 0x100) (i32.const 40) (i32.const 11))
    ;; memory 3 (64-bit) -> memory 0 (32-bit): an i32 length
    (memory.copy $out $wide (i32.const 0x10b) (i64.const 0x1_0000) (i32.const 32))
    (call $flush (i32.const 43))
    (memory.copy $out $big (i32.const 0x100) (i64.const 8) (i32.const 23))
    (call $flush (i32.const 23))

    ;; sizes of every memory, in pages
    (call $hex (i64.extend_i32_u (memory.size $out)))
    (call $hex (memory.size $big))
    (call $hex (i64.extend_i32_u (memory.size $text)))
    (call $hex (memory.size $wide))
    ;; memory 2 is at its maximum: -1
    (call $hex (i64.extend_i32_s (memory.grow $text (i32.const 1))))

    ;; memory 1 grows past 4 GiB (65536 pages): the old size, then the new one
    (local.set $old (memory.grow $big (i64.const 0x10001)))
    (call $hex (local.get $old))
    (call $hex (memory.size $big))
    (if (i64.ne (local.get $old) (i64.const -1))
      (then
        ;; a store and a load above 4 GiB
        (i64.store $big (i64.const 0x1_0000_0010) (i64.const 0x0123456789abcdef))
        (i32.store8 $big offset=0x1_0000_0000 (i64.const 0x20) (i32.const 0x7f))
        (call $hex (i64.load $big (i64.const 0x1_0000_0010)))
        (call $hex (i64.load8_u $big (i64.const 0x1_0000_0020)))
        ;; the last byte of the memory, and a copy of it into memory 0
        (i32.store8 $big (i64.sub (i64.mul (memory.size $big) (i64.const 0x10000))
                                  (i64.const 1))
                    (i32.const 0x5a))
        (memory.copy $out $big (i32.const 0x100)
                     (i64.sub (i64.mul (memory.size $big) (i64.const 0x10000)) (i64.const 1))
                     (i32.const 1))
        (i32.store8 $out (i32.const 0x101) (i32.const 10))
        (call $flush (i32.const 2))))
    ;; past the maximum: -1
    (call $hex (memory.grow $big (i64.const 0x20000)))
    ;; memory 3 (64-bit, no maximum) grows by a page
    (call $hex (memory.grow $wide (i64.const 1)))
    (call $hex (memory.size $wide)))
)
