//! Which functions get the prologue's stack-limit check: every function that calls, and a
//! function that calls nothing only when its frame is bigger than
//! `UNCHECKED_LEAF_FRAME_MAX` (a small leaf's frame fits in the host margin below the
//! limit, since its caller's check passed).

use kiln_abi::vmctx::UNCHECKED_LEAF_FRAME_MAX;
use kiln_abi::Trap;
use kiln_compiler::{CompileOptions, FunctionDump, ModuleKind};

/// A function (param i32) (result i64) that keeps `live` loaded values alive at once
/// (loads stay in order, and the sum starts from the last), so that most of them are
/// spilled to its frame; with `call`, it also calls the imported `$callee` first
/// (an import, so that no inlining makes the caller a leaf).
fn pressure(name: &str, live: u32, call: bool) -> String {
    let mut body = String::new();
    if call {
        body.push_str("    (drop (call $callee (local.get 0)))\n");
    }
    for i in 0..live {
        body.push_str(&format!("    (i64.load offset={} (local.get 0))\n", i * 8));
    }
    body.push_str(&"    i64.add\n".repeat(live as usize - 1));
    format!("  (func ${name} (export \"{name}\") (param i32) (result i64)\n{body}  )\n")
}

fn compile(funcs: &[String]) -> Vec<FunctionDump> {
    let wat = format!(
        "(module (import \"env\" \"callee\" (func $callee (param i32) (result i32)))\n  (memory 1)\n{})",
        funcs.concat()
    );
    let opts = CompileOptions {
        kind: ModuleKind::Library,
        ..CompileOptions::default()
    };
    kiln_compiler::compile_and_dump(wat.as_bytes(), &opts)
        .expect("compiles")
        .1
}

fn checks_stack(funcs: &[FunctionDump], name: &str) -> bool {
    let f = funcs
        .iter()
        .find(|f| !f.trampoline && f.name.as_deref() == Some(name))
        .unwrap_or_else(|| panic!("no function {name}"));
    f.trap_sites
        .iter()
        .any(|&(_, trap)| trap == Some(Trap::StackOverflow))
}

#[test]
fn only_calling_functions_and_big_leaves_check_the_stack() {
    // 8 bytes a spilled i64: this many live values need a frame beyond the bound.
    let big = UNCHECKED_LEAF_FRAME_MAX / 8 + 256;
    let funcs = compile(&[
        pressure("small_leaf", 24, false),
        pressure("caller", 24, true),
        pressure("big_leaf", big, false),
    ]);
    assert!(!checks_stack(&funcs, "small_leaf"));
    assert!(checks_stack(&funcs, "caller"));
    assert!(checks_stack(&funcs, "big_leaf"));
}
