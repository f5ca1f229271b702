//! Which functions get the prologue's stack-limit check: a function whose frame is at most
//! `UNCHECKED_FRAME_MAX` skips it when it calls nothing, or calls only defined functions
//! whose bodies call no function; every other function has it.

use kiln_abi::vmctx::UNCHECKED_FRAME_MAX;
use kiln_abi::Trap;
use kiln_compiler::{CompileOptions, FunctionDump, ModuleKind};

/// A function (param i32) (result i64) that keeps `live` loaded values alive at once
/// (loads stay in order, and the sum starts from the last), so that most of them are
/// spilled to its frame; with `call`, it first calls that function (i32) -> i64. Its
/// body is too big to be inlined.
fn pressure(name: &str, live: u32, call: Option<&str>) -> String {
    let mut body = String::new();
    if let Some(callee) = call {
        body.push_str(&format!("    (drop (call ${callee} (local.get 0)))\n"));
    }
    for i in 0..live {
        body.push_str(&format!("    (i64.load offset={} (local.get 0))\n", i * 8));
    }
    body.push_str(&"    i64.add\n".repeat(live as usize - 1));
    format!("  (func ${name} (export \"{name}\") (param i32) (result i64)\n{body}  )\n")
}

fn compile(funcs: &[String]) -> Vec<FunctionDump> {
    let wat = format!(
        "(module (import \"env\" \"host\" (func $host (param i32) (result i64)))\n  (memory 1)\n{})",
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
fn only_small_frames_calling_at_most_leaves_skip_the_check() {
    // 8 bytes a spilled i64: this many live values need a frame beyond the bound.
    let big = UNCHECKED_FRAME_MAX / 8 + 256;
    let funcs = compile(&[
        pressure("small_leaf", 24, None),
        pressure("calls_a_leaf", 24, Some("small_leaf")),
        pressure("calls_a_caller", 24, Some("calls_a_leaf")),
        pressure("calls_the_host", 24, Some("host")),
        pressure("big_leaf", big, None),
        pressure("big_caller_of_a_leaf", big, Some("small_leaf")),
    ]);
    assert!(!checks_stack(&funcs, "small_leaf"));
    assert!(!checks_stack(&funcs, "calls_a_leaf"));
    // Unchecked, it could call another unchecked caller, and so on without bound.
    assert!(checks_stack(&funcs, "calls_a_caller"));
    assert!(checks_stack(&funcs, "calls_the_host"));
    assert!(checks_stack(&funcs, "big_leaf"));
    assert!(checks_stack(&funcs, "big_caller_of_a_leaf"));
}
