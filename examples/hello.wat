;; Hello world for WASI preview1, by hand: prints "Hello from Kiln!" and then each argument
;; on its own line ("  argv[i] = ..."), then exits with status 0.
(module
  (import "wasi_snapshot_preview1" "args_sizes_get"
    (func $args_sizes_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "args_get"
    (func $args_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write"
    (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $proc_exit (param i32)))

  (memory (export "memory") 1)

  ;; 0..8: iovec, 8..12: nwritten, 16..24: argc / argv_buf_size
  (data (i32.const 64) "Hello from Kiln!\n")      ;; 17 bytes
  (data (i32.const 96) "  argv[")                 ;; 7 bytes
  (data (i32.const 104) "] = ")                   ;; 4 bytes
  (data (i32.const 112) "\n")
  ;; 128..160: decimal digits scratch; 1024..: argv pointers, then the argument strings

  ;; write(ptr, len) to stdout
  (func $write (param $ptr i32) (param $len i32)
    (i32.store (i32.const 0) (local.get $ptr))
    (i32.store (i32.const 4) (local.get $len))
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8))))

  ;; write a non-negative number in decimal
  (func $write_u32 (param $n i32) (local $p i32)
    (local.set $p (i32.const 160))
    (loop $digits
      (local.set $p (i32.sub (local.get $p) (i32.const 1)))
      (i32.store8 (local.get $p)
        (i32.add (i32.const 48) (i32.rem_u (local.get $n) (i32.const 10))))
      (local.set $n (i32.div_u (local.get $n) (i32.const 10)))
      (br_if $digits (local.get $n)))
    (call $write (local.get $p) (i32.sub (i32.const 160) (local.get $p))))

  ;; length of the NUL-terminated string at $s
  (func $strlen (param $s i32) (result i32) (local $e i32)
    (local.set $e (local.get $s))
    (block $done
      (loop $scan
        (br_if $done (i32.eqz (i32.load8_u (local.get $e))))
        (local.set $e (i32.add (local.get $e) (i32.const 1)))
        (br $scan)))
    (i32.sub (local.get $e) (local.get $s)))

  (func (export "_start") (local $argc i32) (local $i i32) (local $arg i32)
    (call $write (i32.const 64) (i32.const 17))
    (if (i32.ne (call $args_sizes_get (i32.const 16) (i32.const 20)) (i32.const 0))
      (then (call $proc_exit (i32.const 1))))
    (local.set $argc (i32.load (i32.const 16)))
    ;; argv pointers at 1024, strings right after them
    (if (i32.ne
          (call $args_get (i32.const 1024)
            (i32.add (i32.const 1024) (i32.mul (local.get $argc) (i32.const 4))))
          (i32.const 0))
      (then (call $proc_exit (i32.const 1))))
    (block $end
      (loop $each
        (br_if $end (i32.ge_u (local.get $i) (local.get $argc)))
        (local.set $arg
          (i32.load (i32.add (i32.const 1024) (i32.mul (local.get $i) (i32.const 4)))))
        (call $write (i32.const 96) (i32.const 7))
        (call $write_u32 (local.get $i))
        (call $write (i32.const 104) (i32.const 4))
        (call $write (local.get $arg) (call $strlen (local.get $arg)))
        (call $write (i32.const 112) (i32.const 1))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $each))))
)
