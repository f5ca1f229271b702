//! Where compiled code finds memory 0: an x86-64 command has its address built in
//! (`MemoryBase::Fixed`, the default), so a load at a computed address carries
//! `FIXED_MEMORY0_BASE + offset` as its displacement; every other module, and a command
//! compiled with `MemoryBase::Loaded`, loads the base from the vmctx.

use kiln_abi::memory::FIXED_MEMORY0_BASE;
use kiln_compiler::{CompileOptions, FunctionDump, MemoryBase, ModuleKind, Target};

/// `f` loads at four computed addresses (offsets 8 to 20) and at a constant one (100);
/// `g`, as many at constant addresses as at computed ones.
const MODULE: &str = r#"(module
  (memory (export "memory") 1)
  (func (export "_start"))
  (func $f (export "f") (param i32) (result i32)
    (i32.add (i32.load offset=8 (local.get 0)) (i32.load offset=12 (local.get 0)))
    (i32.add (i32.load offset=16 (local.get 0)) (i32.load offset=20 (local.get 0)))
    i32.add
    (i32.add (i32.load (i32.const 100))))
  (func $g (export "g") (param i32) (result i32)
    (i32.add (i32.load offset=8 (local.get 0)) (i32.load (i32.const 16)))))"#;

/// Function `name` as compiled.
fn compile_fn(opts: &CompileOptions, name: &str) -> FunctionDump {
    let (_, funcs) = kiln_compiler::compile_and_dump(MODULE.as_bytes(), opts).expect("compiles");
    funcs
        .into_iter()
        .find(|f| !f.trampoline && f.name.as_deref() == Some(name))
        .expect("the function is compiled")
}

fn compile_f(opts: &CompileOptions) -> FunctionDump {
    compile_fn(opts, "f")
}

fn has_displacement(code: &[u8], disp: u64) -> bool {
    let disp = u32::try_from(disp).unwrap().to_le_bytes();
    code.windows(4).any(|w| w == disp)
}

fn options(kind: ModuleKind, triple: &str, memory_base: MemoryBase) -> CompileOptions {
    CompileOptions {
        kind,
        target: Target::with_default_cpu(triple).unwrap(),
        memory_base,
        ..CompileOptions::default()
    }
}

#[test]
fn an_x86_64_command_has_memory_0_at_a_fixed_address() {
    let code = compile_f(&CompileOptions::default()).code;
    assert!(
        has_displacement(&code, FIXED_MEMORY0_BASE + 8),
        "the computed address is `FIXED_MEMORY0_BASE + 8(%index)`: {code:02x?}"
    );
    // The constant address goes through the loaded base (no absolute addressing mode),
    // so the fixed address is not there with the constant's offset.
    assert!(!has_displacement(&code, FIXED_MEMORY0_BASE + 100));
}

#[test]
fn a_function_with_many_constant_addresses_loads_the_base_for_all() {
    let g = compile_fn(&CompileOptions::default(), "g");
    assert!(
        !has_displacement(&g.code, FIXED_MEMORY0_BASE + 8),
        "one computed access for one constant one: the loaded base for both:\n{}",
        g.optimized_clif
    );
}

#[test]
fn other_modules_load_the_base() {
    let x86 = "x86_64-unknown-linux-gnu";
    for opts in [
        options(ModuleKind::Command, x86, MemoryBase::Loaded),
        options(ModuleKind::Library, x86, MemoryBase::Fixed),
        options(
            ModuleKind::Command,
            "aarch64-unknown-linux-gnu",
            MemoryBase::Fixed,
        ),
    ] {
        let f = compile_f(&opts);
        assert!(
            !has_displacement(&f.code, FIXED_MEMORY0_BASE + 8)
                && !f.optimized_clif.contains("0x6000_0000"),
            "{opts:?}: no trace of the fixed address:\n{}",
            f.optimized_clif
        );
    }
}
