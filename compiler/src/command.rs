//! What makes a module a WASI command Kiln can turn into an executable: it exports
//! `_start` and `memory` (memory 0, the one WASI functions use), is not a reactor, and
//! imports only WASI functions: preview1's (`wasi_snapshot_preview1`) or snapshot 0's
//! (`wasi_unstable`), either or both (and, for wasi-threads, `wasi::thread-spawn` and a
//! shared memory).

use kiln_abi::info::{ExportKind, FuncType, Import, ImportKind, ValType};
use kiln_abi::wasi;

use crate::environ::ModuleEnv;
use crate::{CompileError, UnknownImports};

pub(crate) fn check(env: &ModuleEnv<'_>, unknown: UnknownImports) -> Result<(), CompileError> {
    let info = &env.info;
    let exported = |name: &str, kind: ExportKind| {
        info.exports
            .iter()
            .any(|e| e.name == name && e.kind == kind)
    };
    if exported("_initialize", ExportKind::Func) {
        return Err(CompileError::Reactor);
    }
    if !exported("_start", ExportKind::Func) {
        return Err(CompileError::MissingStart);
    }
    if !exported("memory", ExportKind::Memory) {
        return Err(CompileError::MissingMemory);
    }
    // WASI functions reach the caller's memory 0 (the vmctx header's); the program must
    // mean the same memory by `memory`.
    if let Some(e) = info
        .exports
        .iter()
        .find(|e| e.name == "memory" && e.kind == ExportKind::Memory && e.index != 0)
    {
        return Err(CompileError::MemoryNotZero(e.index));
    }
    let mut bad = Vec::new();
    for import in &info.imports {
        let ok = is_wasi_import(import, &info.types)
            || (matches!(import.kind, ImportKind::Func(_)) && unknown == UnknownImports::Trap);
        if !ok {
            bad.push(format!(
                "{}.{}: {}",
                import.module,
                import.name,
                describe(&import.kind, &info.types)
            ));
        }
    }
    if bad.is_empty() {
        Ok(())
    } else {
        Err(CompileError::UnknownImports(bad))
    }
}

/// Whether the runtime provides `import`: a WASI function (of either snapshot) or
/// wasi-threads' `wasi::thread-spawn` of the right type, or a shared memory (a wasi-threads
/// program imports its memory; the runtime makes it, as `wasmtime run -S threads` does).
pub(crate) fn is_wasi_import(import: &Import, types: &[FuncType]) -> bool {
    let t = match import.kind {
        ImportKind::Func(t) => t,
        ImportKind::Memory(m) => return m.shared,
        _ => return false,
    };
    let ty = &types[t as usize];
    wasi::lookup_import(&import.module, &import.name)
        .is_some_and(|(_, p, r)| ty.params == *p && ty.results == *r)
}

fn describe(kind: &ImportKind, types: &[FuncType]) -> String {
    let list = |ts: &[ValType]| {
        ts.iter()
            .map(|t| val_type_name(*t))
            .collect::<Vec<_>>()
            .join(", ")
    };
    match kind {
        ImportKind::Func(t) => {
            let ty = &types[*t as usize];
            format!("({}) -> ({})", list(&ty.params), list(&ty.results))
        }
        ImportKind::Table(t) => format!("table of {}", val_type_name(t.elem)),
        ImportKind::Memory(_) => "memory".to_string(),
        ImportKind::Global(g) => format!(
            "global {}{}",
            if g.mutable { "mut " } else { "" },
            val_type_name(g.ty)
        ),
        ImportKind::Tag(t) => format!("tag ({})", list(&types[*t as usize].params)),
    }
}

fn val_type_name(t: ValType) -> &'static str {
    match t {
        ValType::I32 => "i32",
        ValType::I64 => "i64",
        ValType::F32 => "f32",
        ValType::F64 => "f64",
        ValType::V128 => "v128",
        ValType::FuncRef => "funcref",
        ValType::ExternRef => "externref",
        ValType::ExnRef => "exnref",
        ValType::Ref(r) if r.heap == kiln_abi::info::HeapType::Extern => "(ref extern)",
        ValType::Ref(_) => "a typed function reference",
    }
}
