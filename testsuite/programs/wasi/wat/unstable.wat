;; A `wasi_unstable` (snapshot 0) program calling every function whose layout or
;; numbering differs from preview1: fd_seek (each whence), fd_filestat_get and
;; path_filestat_get (files, directories, symlinks, stdio), fd_fdstat_get (rights),
;; fd_fdstat_set_rights, path_open with and without SYMLINK_FOLLOW, fd_readdir and
;; poll_oneoff (clock and fd subscriptions, bad ones, more than one), plus one preview1
;; import beside them (a module may import both snapshots). Run with `/sandbox`
;; preopened as fd 3. Each line is "<case> <errno>: <bytes>"; values that differ between
;; runs (device, inode, times) are printed as "is nonzero" bits only.
;;
;; With an argument, one call that ends the program: `s` (fd_seek whence 3), `o`
;; (path_open with preview1's sock_accept right), `r` (fd_fdstat_set_rights with it),
;; `l` (path_open with an unknown lookup flag), `1`/`2`/`3` (sock_recv, sock_send,
;; sock_shutdown, which snapshot 0 does not support).
(module
  (import "wasi_unstable" "args_sizes_get" (func $args_sizes_get (param i32 i32) (result i32)))
  (import "wasi_unstable" "args_get" (func $args_get (param i32 i32) (result i32)))
  (import "wasi_unstable" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_unstable" "fd_read" (func $fd_read (param i32 i32 i32 i32) (result i32)))
  (import "wasi_unstable" "fd_seek" (func $fd_seek (param i32 i64 i32 i32) (result i32)))
  (import "wasi_unstable" "fd_tell" (func $fd_tell (param i32 i32) (result i32)))
  (import "wasi_unstable" "fd_close" (func $fd_close (param i32) (result i32)))
  (import "wasi_unstable" "fd_filestat_get" (func $fd_filestat_get (param i32 i32) (result i32)))
  (import "wasi_unstable" "fd_fdstat_get" (func $fd_fdstat_get (param i32 i32) (result i32)))
  (import "wasi_unstable" "fd_fdstat_set_rights"
    (func $fd_fdstat_set_rights (param i32 i64 i64) (result i32)))
  (import "wasi_unstable" "fd_prestat_get" (func $fd_prestat_get (param i32 i32) (result i32)))
  (import "wasi_unstable" "fd_readdir" (func $fd_readdir (param i32 i32 i32 i64 i32) (result i32)))
  (import "wasi_unstable" "path_open"
    (func $path_open (param i32 i32 i32 i32 i32 i64 i64 i32 i32) (result i32)))
  (import "wasi_unstable" "path_filestat_get"
    (func $path_filestat_get (param i32 i32 i32 i32 i32) (result i32)))
  (import "wasi_unstable" "path_create_directory"
    (func $path_create_directory (param i32 i32 i32) (result i32)))
  (import "wasi_unstable" "path_symlink" (func $path_symlink (param i32 i32 i32 i32 i32) (result i32)))
  (import "wasi_unstable" "poll_oneoff" (func $poll_oneoff (param i32 i32 i32 i32) (result i32)))
  (import "wasi_unstable" "sock_recv" (func $sock_recv (param i32 i32 i32 i32 i32 i32) (result i32)))
  (import "wasi_unstable" "sock_send" (func $sock_send (param i32 i32 i32 i32 i32) (result i32)))
  (import "wasi_unstable" "sock_shutdown" (func $sock_shutdown (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_filestat_get"
    (func $fd_filestat_get1 (param i32 i32) (result i32)))
  (memory (export "memory") 1)

  ;; 0x000 iovec and counts; 0x100 results; 0x200 structs; 0x400 subscriptions;
  ;; 0x600 events; 0x800 readdir buffer; 0xf00 hex digits; 0x1000 strings;
  ;; 0x2000 the output line; 0x3000 argv.
  (data (i32.const 0xf00) "0123456789abcdef")
  (data (i32.const 0x1000) "f.txt")
  (data (i32.const 0x1010) "d")
  (data (i32.const 0x1020) "link")
  (data (i32.const 0x1030) "d/g.txt")
  (data (i32.const 0x1040) "0123456789")
  (data (i32.const 0x1050) "before\n")

  (global $file (mut i32) (i32.const -1))
  (global $dir (mut i32) (i32.const -1))

  (func $out (param $p i32) (param $n i32)
    (i32.store (i32.const 0) (local.get $p))
    (i32.store (i32.const 4) (local.get $n))
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8))))

  (func $hexbyte (param $at i32) (param $b i32)
    (i32.store8 (local.get $at)
      (i32.load8_u offset=0xf00 (i32.and (i32.shr_u (local.get $b) (i32.const 4)) (i32.const 15))))
    (i32.store8 offset=1 (local.get $at)
      (i32.load8_u offset=0xf00 (i32.and (local.get $b) (i32.const 15)))))

  ;; "<id> <errno>: <n bytes at p>\n"
  (func $line (param $id i32) (param $errno i32) (param $p i32) (param $n i32)
    (local $i i32) (local $at i32)
    (call $hexbyte (i32.const 0x2000) (local.get $id))
    (i32.store8 (i32.const 0x2002) (i32.const 32))
    (call $hexbyte (i32.const 0x2003) (i32.shr_u (local.get $errno) (i32.const 8)))
    (call $hexbyte (i32.const 0x2005) (local.get $errno))
    (i32.store8 (i32.const 0x2007) (i32.const 58))
    (local.set $at (i32.const 0x2008))
    (block $done
      (loop $l
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (i32.store8 (local.get $at) (i32.const 32))
        (call $hexbyte (i32.add (local.get $at) (i32.const 1))
          (i32.load8_u (i32.add (local.get $p) (local.get $i))))
        (local.set $at (i32.add (local.get $at) (i32.const 3)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $l)))
    (i32.store8 (local.get $at) (i32.const 10))
    (call $out (i32.const 0x2000) (i32.sub (i32.add (local.get $at) (i32.const 1)) (i32.const 0x2000))))

  (func $nz (param $v i64) (param $bit i32) (result i32)
    (i32.shl (i64.ne (local.get $v) (i64.const 0)) (local.get $bit)))

  ;; A snapshot-0 filestat at 0x200 (filled with 0xaa before the call): filetype, padding,
  ;; nlink and size as they are, the 8 bytes past its end (must stay 0xaa), and which of
  ;; dev, ino, atim, mtim, ctim are nonzero.
  (func $stat_line (param $id i32) (param $errno i32)
    (memory.copy (i32.const 0x1c0) (i32.const 0x210) (i32.const 16))
    (memory.copy (i32.const 0x1d0) (i32.const 0x238) (i32.const 8))
    (i32.store8 (i32.const 0x1d8)
      (i32.or (i32.or (i32.or (i32.or
        (call $nz (i64.load (i32.const 0x200)) (i32.const 0))
        (call $nz (i64.load (i32.const 0x208)) (i32.const 1)))
        (call $nz (i64.load (i32.const 0x220)) (i32.const 2)))
        (call $nz (i64.load (i32.const 0x228)) (i32.const 3)))
        (call $nz (i64.load (i32.const 0x230)) (i32.const 4))))
    (call $line (local.get $id) (local.get $errno) (i32.const 0x1c0) (i32.const 25)))

  (func $fresh (memory.fill (i32.const 0x200) (i32.const 0xaa) (i32.const 0x100)))

  (func $fd_stat (param $id i32) (param $fd i32)
    (call $fresh)
    (call $stat_line (local.get $id) (call $fd_filestat_get (local.get $fd) (i32.const 0x200))))

  (func $path_stat (param $id i32) (param $flags i32) (param $p i32) (param $n i32)
    (call $fresh)
    (call $stat_line (local.get $id)
      (call $path_filestat_get (i32.const 3) (local.get $flags) (local.get $p) (local.get $n)
        (i32.const 0x200))))

  ;; Preview1's code writes the fdstat, events and prestat whole, padding included, where
  ;; wasmtime writes field by field: those are read from zeroed memory.
  (func $zeroed (memory.fill (i32.const 0x200) (i32.const 0) (i32.const 0x100)))

  (func $fdstat (param $id i32) (param $fd i32)
    (call $zeroed)
    (call $line (local.get $id) (call $fd_fdstat_get (local.get $fd) (i32.const 0x200))
      (i32.const 0x200) (i32.const 32)))

  ;; fd_seek on the file; prints the errno and the new offset.
  (func $seek (param $id i32) (param $off i64) (param $whence i32)
    (i64.store (i32.const 0x100) (i64.const -1))
    (call $line (local.get $id)
      (call $fd_seek (global.get $file) (local.get $off) (local.get $whence) (i32.const 0x100))
      (i32.const 0x100) (i32.const 8)))

  ;; One subscription at 0x400 (56 bytes); prints errno, event count, the event and the
  ;; subscription as the call left it.
  (func $poll1 (param $id i32)
    (local $e i32)
    (memory.fill (i32.const 0x600) (i32.const 0) (i32.const 0x40))
    (i32.store (i32.const 0x100) (i32.const 0xcccc))
    (local.set $e (call $poll_oneoff (i32.const 0x400) (i32.const 0x600) (i32.const 1) (i32.const 0x100)))
    (call $line (local.get $id) (local.get $e) (i32.const 0x100) (i32.const 4))
    (call $line (local.get $id) (local.get $e) (i32.const 0x600) (i32.const 32))
    (call $line (local.get $id) (local.get $e) (i32.const 0x400) (i32.const 56)))

  (func $clock_sub (param $at i32) (param $userdata i64) (param $clock i32) (param $timeout i64)
    (param $flags i32)
    (memory.fill (local.get $at) (i32.const 0x5a) (i32.const 56))
    (i64.store (local.get $at) (local.get $userdata))
    (i32.store8 offset=8 (local.get $at) (i32.const 0))
    (i64.store offset=16 (local.get $at) (i64.const 0x99))
    (i32.store offset=24 (local.get $at) (local.get $clock))
    (i64.store offset=32 (local.get $at) (local.get $timeout))
    (i64.store offset=40 (local.get $at) (i64.const 1000))
    (i32.store16 offset=48 (local.get $at) (local.get $flags)))

  (func $fd_sub (param $at i32) (param $userdata i64) (param $tag i32) (param $fd i32)
    (memory.fill (local.get $at) (i32.const 0x5a) (i32.const 56))
    (i64.store (local.get $at) (local.get $userdata))
    (i32.store8 offset=8 (local.get $at) (local.get $tag))
    (i32.store offset=16 (local.get $at) (local.get $fd)))

  (func $open (param $id i32) (param $dirflags i32) (param $p i32) (param $n i32) (param $oflags i32)
    (param $rights i64) (result i32)
    (local $e i32)
    (i32.store (i32.const 0x100) (i32.const -1))
    (local.set $e (call $path_open (i32.const 3) (local.get $dirflags) (local.get $p) (local.get $n)
      (local.get $oflags) (local.get $rights) (i64.const 0) (i32.const 0) (i32.const 0x100)))
    (call $line (local.get $id) (local.get $e) (i32.const 0x100) (i32.const 4))
    (i32.load (i32.const 0x100)))

  (func $main
    (local $fd i32) (local $e i32)
    ;; Files: f.txt (10 bytes), d/ with g.txt, link -> f.txt.
    (call $line (i32.const 0x01)
      (call $path_create_directory (i32.const 3) (i32.const 0x1010) (i32.const 1)) (i32.const 0) (i32.const 0))
    (global.set $file
      (call $open (i32.const 0x02) (i32.const 0) (i32.const 0x1000) (i32.const 5) (i32.const 9)
        (i64.const 0x1fffffff)))
    (i32.store (i32.const 0x10) (i32.const 0x1040))
    (i32.store (i32.const 0x14) (i32.const 10))
    (call $line (i32.const 0x03)
      (call $fd_write (global.get $file) (i32.const 0x10) (i32.const 1) (i32.const 0x100))
      (i32.const 0x100) (i32.const 4))
    (local.set $fd
      (call $open (i32.const 0x04) (i32.const 0) (i32.const 0x1030) (i32.const 7) (i32.const 1)
        (i64.const 0x42)))
    (drop (call $fd_close (local.get $fd)))
    (call $line (i32.const 0x05)
      (call $path_symlink (i32.const 0x1000) (i32.const 5) (i32.const 3) (i32.const 0x1020) (i32.const 4))
      (i32.const 0) (i32.const 0))

    ;; fd_seek: SET is 2, CUR 0, END 1 in snapshot 0.
    (call $seek (i32.const 0x10) (i64.const 3) (i32.const 2))
    (call $seek (i32.const 0x11) (i64.const 2) (i32.const 0))
    (call $seek (i32.const 0x12) (i64.const -1) (i32.const 1))
    (i64.store (i32.const 0x100) (i64.const -1))
    (call $line (i32.const 0x13) (call $fd_tell (global.get $file) (i32.const 0x100))
      (i32.const 0x100) (i32.const 8))
    (i32.store (i32.const 0x10) (i32.const 0x180))
    (i32.store (i32.const 0x14) (i32.const 4))
    (i32.store (i32.const 0x180) (i32.const 0))
    (call $line (i32.const 0x14)
      (call $fd_read (global.get $file) (i32.const 0x10) (i32.const 1) (i32.const 0x100))
      (i32.const 0x180) (i32.const 4))
    (call $seek (i32.const 0x15) (i64.const -100) (i32.const 0))
    (call $seek (i32.const 0x16) (i64.const -1) (i32.const 2))
    (call $seek (i32.const 0x17) (i64.const 0) (i32.const 1))
    (call $seek (i32.const 0x18) (i64.const 4) (i32.const 2))
    (i64.store (i32.const 0x100) (i64.const -1))
    (call $line (i32.const 0x19) (call $fd_seek (i32.const 1) (i64.const 0) (i32.const 0) (i32.const 0x100))
      (i32.const 0x100) (i32.const 8))

    ;; filestat: 56 bytes, a 32-bit nlink at 20, size at 24.
    (call $fd_stat (i32.const 0x20) (global.get $file))
    (call $path_stat (i32.const 0x21) (i32.const 0) (i32.const 0x1000) (i32.const 5))
    (call $path_stat (i32.const 0x22) (i32.const 0) (i32.const 0x1010) (i32.const 1))
    (call $path_stat (i32.const 0x23) (i32.const 0) (i32.const 0x1020) (i32.const 4))
    (call $path_stat (i32.const 0x24) (i32.const 1) (i32.const 0x1020) (i32.const 4))
    (call $path_stat (i32.const 0x25) (i32.const 0) (i32.const 0x1030) (i32.const 7))
    (call $path_stat (i32.const 0x26) (i32.const 0) (i32.const 0x1020) (i32.const 3))
    (call $fd_stat (i32.const 0x27) (i32.const 1))
    (call $line (i32.const 0x27) (i32.const 0) (i32.const 0x200) (i32.const 64))
    (call $fd_stat (i32.const 0x28) (i32.const 3))
    (call $fd_stat (i32.const 0x29) (i32.const 9))
    ;; The same file through preview1: 64 bytes, nlink at 24, size at 32.
    (call $zeroed)
    (call $line (i32.const 0x2a) (call $fd_filestat_get1 (global.get $file) (i32.const 0x200))
      (i32.const 0x210) (i32.const 0x18))
    ;; Out of bounds by less than preview1's size: fits snapshot 0's.
    (call $line (i32.const 0x2b) (call $fd_filestat_get (global.get $file) (i32.const 0xffc8))
      (i32.const 0xffd8) (i32.const 16))

    ;; path_open's lookup flags: without SYMLINK_FOLLOW a symlink is not opened.
    (drop (call $open (i32.const 0x30) (i32.const 0) (i32.const 0x1020) (i32.const 4) (i32.const 0)
      (i64.const 2)))
    (local.set $fd (call $open (i32.const 0x31) (i32.const 1) (i32.const 0x1020) (i32.const 4)
      (i32.const 0) (i64.const 2)))
    (i32.store (i32.const 0x10) (i32.const 0x180))
    (i32.store (i32.const 0x14) (i32.const 10))
    (call $line (i32.const 0x32)
      (call $fd_read (local.get $fd) (i32.const 0x10) (i32.const 1) (i32.const 0x100))
      (i32.const 0x180) (i32.const 10))
    (call $fd_stat (i32.const 0x33) (local.get $fd))
    (drop (call $open (i32.const 0x34) (i32.const 0) (i32.const 0x1020) (i32.const 4) (i32.const 2)
      (i64.const 2)))
    (drop (call $open (i32.const 0x35) (i32.const 1) (i32.const 0x1010) (i32.const 1) (i32.const 3)
      (i64.const 2)))
    (global.set $dir (call $open (i32.const 0x36) (i32.const 1) (i32.const 0x1010) (i32.const 1)
      (i32.const 2) (i64.const 0x4000)))

    ;; fdstat: the same layout as preview1, rights without sock_accept.
    (call $fdstat (i32.const 0x40) (i32.const 0))
    (call $fdstat (i32.const 0x41) (i32.const 1))
    (call $fdstat (i32.const 0x42) (i32.const 3))
    (call $fdstat (i32.const 0x43) (global.get $file))
    (call $fdstat (i32.const 0x44) (global.get $dir))
    (call $fdstat (i32.const 0x45) (local.get $fd))
    (call $fdstat (i32.const 0x46) (i32.const 42))
    (call $line (i32.const 0x47)
      (call $fd_fdstat_set_rights (global.get $file) (i64.const 0x40) (i64.const 0))
      (i32.const 0) (i32.const 0))
    (call $line (i32.const 0x48)
      (call $fd_fdstat_set_rights (i32.const 1) (i64.const 0x1fffffff) (i64.const 0x1fffffff))
      (i32.const 0) (i32.const 0))
    (call $zeroed)
    (call $line (i32.const 0x49) (call $fd_prestat_get (i32.const 3) (i32.const 0x200))
      (i32.const 0x200) (i32.const 12))

    ;; fd_readdir: the same dirent as preview1 (inodes zeroed here: they differ per run).
    (memory.fill (i32.const 0x800) (i32.const 0xaa) (i32.const 0x100))
    (local.set $e (call $fd_readdir (global.get $dir) (i32.const 0x800) (i32.const 0x100) (i64.const 0)
      (i32.const 0x100)))
    (i64.store (i32.const 0x808) (i64.const 0))
    (i64.store (i32.const 0x821) (i64.const 0))
    (i64.store (i32.const 0x83b) (i64.const 0))
    (call $line (i32.const 0x50) (local.get $e) (i32.const 0x100) (i32.const 4))
    (call $line (i32.const 0x50) (local.get $e) (i32.const 0x800) (i32.const 84))
    (memory.fill (i32.const 0x800) (i32.const 0xaa) (i32.const 0x100))
    (local.set $e (call $fd_readdir (global.get $dir) (i32.const 0x800) (i32.const 30) (i64.const 2)
      (i32.const 0x100)))
    (i64.store (i32.const 0x808) (i64.const 0))
    (call $line (i32.const 0x51) (local.get $e) (i32.const 0x100) (i32.const 4))
    (call $line (i32.const 0x51) (local.get $e) (i32.const 0x800) (i32.const 32))
    (call $line (i32.const 0x52)
      (call $fd_readdir (global.get $file) (i32.const 0x800) (i32.const 30) (i64.const 0) (i32.const 0x100))
      (i32.const 0) (i32.const 0))

    ;; poll_oneoff: 56-byte subscriptions, a clock's `identifier` before its id.
    (call $clock_sub (i32.const 0x400) (i64.const 0x1111) (i32.const 1) (i64.const 1000000) (i32.const 0))
    (call $poll1 (i32.const 0x60))
    (call $clock_sub (i32.const 0x400) (i64.const 0x2222) (i32.const 0) (i64.const 0x1_0000_0000)
      (i32.const 1))
    (call $poll1 (i32.const 0x61))
    (call $clock_sub (i32.const 0x400) (i64.const 0x3333) (i32.const 1) (i64.const 0x1_0000_0000)
      (i32.const 1))
    (call $poll1 (i32.const 0x62))
    (call $fd_sub (i32.const 0x400) (i64.const 0x4444) (i32.const 2) (i32.const 1))
    (call $poll1 (i32.const 0x63))
    (call $fd_sub (i32.const 0x400) (i64.const 0x5555) (i32.const 1) (global.get $file))
    (call $poll1 (i32.const 0x64))
    (call $fd_sub (i32.const 0x400) (i64.const 0x6666) (i32.const 1) (i32.const 77))
    (call $poll1 (i32.const 0x65))
    (call $fd_sub (i32.const 0x400) (i64.const 0x7777) (i32.const 3) (i32.const 1))
    (call $poll1 (i32.const 0x66))
    (call $clock_sub (i32.const 0x400) (i64.const 0x8888) (i32.const 4) (i64.const 1) (i32.const 0))
    (call $poll1 (i32.const 0x67))
    (call $clock_sub (i32.const 0x400) (i64.const 0x9999) (i32.const 1) (i64.const 1) (i32.const 2))
    (call $poll1 (i32.const 0x68))
    (call $clock_sub (i32.const 0x400) (i64.const 0xaaaa) (i32.const 2) (i64.const 1) (i32.const 0))
    (call $poll1 (i32.const 0x69))
    ;; Two subscriptions (preview1's code reads them 48 bytes apart, as in wasmtime).
    (call $clock_sub (i32.const 0x400) (i64.const 0xbbbb) (i32.const 1) (i64.const 1000000) (i32.const 0))
    (call $fd_sub (i32.const 0x438) (i64.const 0x22) (i32.const 2) (i32.const 1))
    (i32.store (i32.const 0x100) (i32.const 0xcccc))
    (local.set $e (call $poll_oneoff (i32.const 0x400) (i32.const 0x600) (i32.const 2) (i32.const 0x100)))
    (call $line (i32.const 0x6a) (local.get $e) (i32.const 0x100) (i32.const 4))
    (call $line (i32.const 0x6a) (local.get $e) (i32.const 0x400) (i32.const 112))
    (call $fd_sub (i32.const 0x400) (i64.const 0xcccc) (i32.const 2) (i32.const 1))
    (call $fd_sub (i32.const 0x438) (i64.const 0x1) (i32.const 2) (i32.const 1))
    (i32.store (i32.const 0x100) (i32.const 0xcccc))
    (local.set $e (call $poll_oneoff (i32.const 0x400) (i32.const 0x600) (i32.const 2) (i32.const 0x100)))
    (call $line (i32.const 0x6b) (local.get $e) (i32.const 0x100) (i32.const 4))
    (call $line (i32.const 0x6b) (local.get $e) (i32.const 0x400) (i32.const 112))
    (call $line (i32.const 0x6c)
      (call $poll_oneoff (i32.const 0x400) (i32.const 0x600) (i32.const 0) (i32.const 0x100))
      (i32.const 0) (i32.const 0)))

  (func $ending (param $c i32)
    (call $out (i32.const 0x1050) (i32.const 7))
    (global.set $file
      (call $open (i32.const 0x02) (i32.const 0) (i32.const 0x1000) (i32.const 5) (i32.const 9)
        (i64.const 0x1fffffff)))
    (if (i32.eq (local.get $c) (i32.const 0x73)) ;; s
      (then (call $seek (i32.const 0x70) (i64.const 0) (i32.const 3))))
    (if (i32.eq (local.get $c) (i32.const 0x6f)) ;; o
      (then (drop (call $open (i32.const 0x71) (i32.const 0) (i32.const 0x1000) (i32.const 5)
        (i32.const 0) (i64.const 0x20000000)))))
    (if (i32.eq (local.get $c) (i32.const 0x72)) ;; r
      (then (call $line (i32.const 0x72)
        (call $fd_fdstat_set_rights (global.get $file) (i64.const 0) (i64.const 0x20000000))
        (i32.const 0) (i32.const 0))))
    (if (i32.eq (local.get $c) (i32.const 0x6c)) ;; l
      (then (drop (call $open (i32.const 0x73) (i32.const 2) (i32.const 0x1000) (i32.const 5)
        (i32.const 0) (i64.const 2)))))
    (if (i32.eq (local.get $c) (i32.const 0x31))
      (then (call $line (i32.const 0x74)
        (call $sock_recv (i32.const 1) (i32.const 0x10) (i32.const 0) (i32.const 0) (i32.const 0x100)
          (i32.const 0x104))
        (i32.const 0) (i32.const 0))))
    (if (i32.eq (local.get $c) (i32.const 0x32))
      (then (call $line (i32.const 0x75)
        (call $sock_send (i32.const 1) (i32.const 0x10) (i32.const 0) (i32.const 0) (i32.const 0x100))
        (i32.const 0) (i32.const 0))))
    (if (i32.eq (local.get $c) (i32.const 0x33))
      (then (call $line (i32.const 0x76)
        (call $sock_shutdown (i32.const 1) (i32.const 3))
        (i32.const 0) (i32.const 0))))
    (call $out (i32.const 0x1050) (i32.const 7)))

  (func (export "_start")
    (drop (call $args_sizes_get (i32.const 0x100) (i32.const 0x104)))
    (if (i32.lt_u (i32.load (i32.const 0x100)) (i32.const 2))
      (then (call $main) (return)))
    (drop (call $args_get (i32.const 0x3000) (i32.const 0x3100)))
    (call $ending (i32.load8_u (i32.load (i32.const 0x3004))))))
