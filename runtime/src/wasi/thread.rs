//! wasi-threads' `wasi::thread-spawn(start_arg) -> tid`, as `wasmtime run -S threads`
//! implements it: the new thread instantiates the module afresh (its own vmctx, globals,
//! tables, stack) with the same imported memories and the same WASI context, then calls
//! its export `wasi_thread_start(tid, start_arg)`. Returning from it ends that thread
//! only; a trap or `proc_exit` in it ends the program ([`crate::threads::end_process`]).
//!
//! The result is the new thread's id (1, 2, ... as wasmtime counts them), or -1 when the
//! module has no `wasi_thread_start` of type `(i32, i32) -> ()`, the ids are used up, or
//! the OS refuses the thread (wasmtime's answers; it checks the entry point at the spawn,
//! so a module that never spawns need not export one).

use std::sync::Arc;

use kiln_abi::info::ValType::I32;
use kiln_abi::info::{ExportKind, FuncType, ImportKind, ModuleInfo};
use kiln_abi::vmctx::VmCtx;
use kiln_abi::wasi::THREAD_START;

use super::ctx::{shared_ctx, SharedCtx};
use crate::externs::{VmExtern, VmFunc};
use crate::instance::{self, InstantiateError};
use crate::memory::LinearMemory;
use crate::module::ModuleInner;
use crate::threads::{self, end_process};
use crate::traps::{self, Caught};

/// The status a trap ends the program with, as `wasmtime run`.
const TRAP_STATUS: i32 = 134;

/// `thread-spawn`: see the module comment.
pub(crate) extern "C" fn thread_spawn(vmctx: *mut VmCtx, start_arg: i32) -> i32 {
    // SAFETY: compiled code calls host functions with its own live vmctx.
    let inst = unsafe { instance::from_vmctx(vmctx) };
    let module = inst.module;
    if !has_entry_point(&module.info) {
        return -1;
    }
    // SAFETY: as above.
    let Some(cx) = unsafe { shared_ctx(vmctx) }.cloned() else {
        return -1;
    };
    let imported = module.info.num_imported_memories as usize;
    let memories: Vec<Arc<LinearMemory>> = inst.memories[..imported].to_vec();
    let Some(tid) = threads::next_id() else {
        return -1;
    };
    let max_wasm_stack = usize::try_from(module.config.max_wasm_stack).expect("64-bit host");
    let run = move || run_thread(module, &memories, cx, tid, start_arg);
    match threads::spawn(format!("wasi-thread-{tid}"), max_wasm_stack, run) {
        Ok(()) => tid,
        Err(_) => -1,
    }
}

/// Whether the module exports `wasi_thread_start` with type `(i32, i32) -> ()`.
fn has_entry_point(info: &ModuleInfo) -> bool {
    let Some(e) = info.export(THREAD_START) else {
        return false;
    };
    let want = FuncType {
        params: vec![I32, I32],
        results: vec![],
    };
    e.kind == ExportKind::Func && info.types[info.funcs[e.index as usize] as usize] == want
}

/// The body of a spawned thread: instantiate, run `wasi_thread_start`, end the program if
/// it trapped or exited.
fn run_thread(
    module: &'static ModuleInner,
    memories: &[Arc<LinearMemory>],
    cx: SharedCtx,
    tid: i32,
    start_arg: i32,
) {
    let cannot = |e: &dyn std::fmt::Display| -> ! {
        end_process(
            1,
            &format!("kiln: wasi thread {tid}: cannot instantiate the module: {e}\n"),
        )
    };
    let imports = thread_imports(&module.info, memories).unwrap_or_else(|e| cannot(&e));
    // The compile-time limits: a spawned thread's own tables are capped as the program's
    // (run-time tightening reaches the main instance only, for now). `--timeout` reaches
    // this instance too: instantiation registers it with `crate::interrupt`.
    let limits = &module.config.limits;
    let inst = match instance::instantiate(module, &imports, Some(Box::new(cx)), limits) {
        Ok(i) => i,
        Err(e @ (InstantiateError::Trap(_) | InstantiateError::Exception)) => {
            end_process(TRAP_STATUS, &format!("{e}\n"))
        }
        Err(e) => cannot(&e),
    };
    let Some(VmExtern::Func(start)) = inst.export(THREAD_START) else {
        cannot(&"no `wasi_thread_start` export");
    };
    let mut values = [[0u8; 16]; 2];
    values[0][..4].copy_from_slice(&tid.to_le_bytes());
    values[1][..4].copy_from_slice(&start_arg.to_le_bytes());
    match start.call_raw(&mut values) {
        Ok(Ok(())) => {}
        Ok(Err(Caught::Exit(code))) => end_process(code, ""),
        Ok(Err(Caught::Trap { trap, frames })) => {
            end_process(TRAP_STATUS, &traps::report(trap, &frames))
        }
        Ok(Err(Caught::Exception { frames, .. })) => {
            end_process(TRAP_STATUS, &traps::exception_report(&frames))
        }
        Err(why) => cannot(&why),
    }
}

/// The imports of a spawned thread's instance: what the program's first instance got
/// (WASI, `thread-spawn`, the program's imported memories), and for a function Kiln does
/// not provide (admitted by `--unknown-imports=trap`), the stub that traps.
fn thread_imports(
    info: &ModuleInfo,
    memories: &[Arc<LinearMemory>],
) -> Result<Vec<VmExtern>, InstantiateError> {
    let provided =
        |i: &kiln_abi::info::Import| kiln_abi::wasi::lookup_import(&i.module, &i.name).is_some();
    let mut imports = Vec::with_capacity(info.imports.len());
    let mut memory_imports = 0;
    for import in &info.imports {
        match import.kind {
            ImportKind::Func(t) if !provided(import) => {
                let ty = info.types[t as usize].clone();
                let stub = crate::traps::unknown_import as *const () as *const u8;
                imports.push(VmExtern::Func(VmFunc::host(ty, stub)));
            }
            _ => {
                let one = ModuleInfo {
                    types: info.types.clone(),
                    imports: vec![import.clone()],
                    ..ModuleInfo::default()
                };
                let mem = if matches!(import.kind, ImportKind::Memory(_)) {
                    memory_imports += 1;
                    &memories[memory_imports - 1..memory_imports]
                } else {
                    &[]
                };
                imports.extend(super::imports_sharing(&one, Some(mem), None)?);
            }
        }
    }
    Ok(imports)
}
