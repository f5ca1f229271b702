//! Compiles the tiny C helper that owns `sigsetjmp`/`siglongjmp` (Rust cannot call
//! `setjmp` soundly: the jump buffer must belong to a C frame).
//!
//! For a musl target compiled with clang (the AArch64 musl runtime, when no
//! `aarch64-linux-musl-gcc` is installed: Debian ships no AArch64 musl headers), the
//! helper is compiled without any C library headers (`KILN_NO_LIBC_HEADERS`): clang would
//! otherwise find the build machine's glibc headers, whose jump buffer is not musl's.

fn main() {
    println!("cargo:rerun-if-changed=src/trap_helper.c");
    let mut build = cc::Build::new();
    build.file("src/trap_helper.c").opt_level(2).warnings(true);
    let musl = std::env::var("CARGO_CFG_TARGET_ENV").is_ok_and(|e| e == "musl");
    if musl && build.get_compiler().is_like_clang() {
        build
            .define("KILN_NO_LIBC_HEADERS", None)
            .flag("-nostdinc")
            .flag("-ffreestanding");
    }
    build.compile("kiln_trap_helper");
}
