;; Tail calls to WASI host functions: `return_call` of an import, `return_call_indirect`
;; of an import through a table, `return_call_ref` of a reference to an import, and
;; `proc_exit` reached by a tail call at the end of a chain of a million `return_call`s
;; between two functions.
(module
  (type $write_t (func (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (type $write_t)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $proc_exit (param i32)))
  (memory (export "memory") 1)
  (table 1 funcref)
  (elem (i32.const 0) $fd_write)
  ;; iovec at 0: {ptr 16, len 17}; "tail-called host\n" at 16; nwritten at 8
  (data (i32.const 0) "\10\00\00\00\11\00\00\00")
  (data (i32.const 16) "tail-called host\n")
  ;; fd_write(1, iovec, 1, &nwritten) as a tail call of the import.
  (func $print_direct (result i32)
    (return_call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))
  ;; The same through the table.
  (func $print_indirect (result i32)
    (return_call_indirect (type $write_t)
      (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8) (i32.const 0)))
  ;; The same through a typed reference (typed function references).
  (func $print_ref (result i32)
    (return_call_ref $write_t
      (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8) (ref.func $fd_write)))
  ;; $even/$odd: a million tail calls, then proc_exit(n & 0xff | result) as a tail call.
  (func $even (param $n i32) (param $left i32)
    (if (i32.eqz (local.get $left))
      (then (return_call $proc_exit (i32.and (local.get $n) (i32.const 0x7f)))))
    (return_call $odd (i32.add (local.get $n) (i32.const 3))
                      (i32.sub (local.get $left) (i32.const 1))))
  (func $odd (param $n i32) (param $left i32)
    (return_call $even (i32.xor (local.get $n) (i32.const 5))
                       (i32.sub (local.get $left) (i32.const 1))))
  (func (export "_start")
    (if (call $print_direct) (then unreachable))
    (if (call $print_indirect) (then unreachable))
    (if (call $print_ref) (then unreachable))
    ;; the bytes written, as a check that the results came back
    (if (i32.ne (i32.load (i32.const 8)) (i32.const 17)) (then unreachable))
    (call $even (i32.const 0) (i32.const 1000000))
    unreachable))
