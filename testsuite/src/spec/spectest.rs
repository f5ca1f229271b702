//! The `spectest` host module every spec script may import from.

use std::collections::HashMap;

use super::embed::{Extern, Func, Global, Memory, Table, Val};
use kiln_abi::info::{FuncType, GlobalType, Limits, MemoryType, TableType, ValType};
use kiln_abi::vmctx::VmCtx;

// The reference interpreter prints the arguments; the harness's stdout carries its own
// protocol, so these print to stderr only when KILN_SPEC_PRINT is set.
fn enabled() -> bool {
    std::env::var_os("KILN_SPEC_PRINT").is_some()
}

extern "C" fn print(_: *mut VmCtx) {}
extern "C" fn print_i32(_: *mut VmCtx, x: i32) {
    if enabled() {
        eprintln!("{x} : i32");
    }
}
extern "C" fn print_i64(_: *mut VmCtx, x: i64) {
    if enabled() {
        eprintln!("{x} : i64");
    }
}
extern "C" fn print_f32(_: *mut VmCtx, x: f32) {
    if enabled() {
        eprintln!("{x} : f32");
    }
}
extern "C" fn print_f64(_: *mut VmCtx, x: f64) {
    if enabled() {
        eprintln!("{x} : f64");
    }
}
extern "C" fn print_i32_f32(_: *mut VmCtx, x: i32, y: f32) {
    if enabled() {
        eprintln!("{x} : i32\n{y} : f32");
    }
}
extern "C" fn print_f64_f64(_: *mut VmCtx, x: f64, y: f64) {
    if enabled() {
        eprintln!("{x} : f64\n{y} : f64");
    }
}

fn func(params: &[ValType], code: *const u8) -> Extern {
    Extern::Func(Func::host(
        FuncType {
            params: params.to_vec(),
            results: vec![],
        },
        code,
    ))
}

fn global(ty: ValType, val: Val) -> Extern {
    Extern::Global(Global::new(GlobalType { ty, mutable: false }, val))
}

/// The exports of `spectest`, created once per script (the reference interpreter has one
/// instance, so its memory and table are shared by every importer).
pub(crate) fn exports() -> Result<HashMap<&'static str, Extern>, String> {
    use ValType::*;
    let mut m = HashMap::new();
    m.insert(
        "print",
        func(&[], print as extern "C" fn(*mut VmCtx) as *const u8),
    );
    m.insert(
        "print_i32",
        func(
            &[I32],
            print_i32 as extern "C" fn(*mut VmCtx, i32) as *const u8,
        ),
    );
    m.insert(
        "print_i64",
        func(
            &[I64],
            print_i64 as extern "C" fn(*mut VmCtx, i64) as *const u8,
        ),
    );
    m.insert(
        "print_f32",
        func(
            &[F32],
            print_f32 as extern "C" fn(*mut VmCtx, f32) as *const u8,
        ),
    );
    m.insert(
        "print_f64",
        func(
            &[F64],
            print_f64 as extern "C" fn(*mut VmCtx, f64) as *const u8,
        ),
    );
    m.insert(
        "print_i32_f32",
        func(
            &[I32, F32],
            print_i32_f32 as extern "C" fn(*mut VmCtx, i32, f32) as *const u8,
        ),
    );
    m.insert(
        "print_f64_f64",
        func(
            &[F64, F64],
            print_f64_f64 as extern "C" fn(*mut VmCtx, f64, f64) as *const u8,
        ),
    );
    m.insert("global_i32", global(I32, Val::I32(666)));
    m.insert("global_i64", global(I64, Val::I64(666)));
    m.insert("global_f32", global(F32, Val::F32(666.6f32.to_bits())));
    m.insert("global_f64", global(F64, Val::F64(666.6f64.to_bits())));
    for (name, table64) in [("table", false), ("table64", true)] {
        let table = Table::new(
            TableType {
                elem: FuncRef,
                limits: Limits {
                    min: 10,
                    max: Some(20),
                },
                table64,
            },
            Val::FuncRef(std::ptr::null()),
        )
        .map_err(|e| format!("spectest {name}: {e}"))?;
        m.insert(name, Extern::Table(table));
    }
    let memory = Memory::new(MemoryType {
        limits: Limits {
            min: 1,
            max: Some(2),
        },
        memory64: false,
        shared: false,
    })
    .map_err(|e| format!("spectest memory: {e}"))?;
    m.insert("memory", Extern::Memory(memory));
    // The threads proposal's spectest adds a shared memory (the reference interpreter's
    // limits).
    let shared = Memory::new(MemoryType {
        limits: Limits {
            min: 1,
            max: Some(2),
        },
        memory64: false,
        shared: true,
    })
    .map_err(|e| format!("spectest shared_memory: {e}"))?;
    m.insert("shared_memory", Extern::Memory(shared));
    Ok(m)
}
