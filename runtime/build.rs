//! Compiles the tiny C helper that owns `sigsetjmp`/`siglongjmp` (Rust cannot call
//! `setjmp` soundly: the jump buffer must belong to a C frame).

fn main() {
    println!("cargo:rerun-if-changed=src/trap_helper.c");
    cc::Build::new()
        .file("src/trap_helper.c")
        .opt_level(2)
        .warnings(true)
        .compile("kiln_trap_helper");
}
