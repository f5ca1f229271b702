//! Phase 1, declare: every symbol the object will define or import gets a Cranelift id
//! before any body is translated, so that any function can refer to any other (as
//! cg_clif's `predefine_mono_items` does).

use cranelift_codegen::ir::{types, AbiParam, Signature};
use cranelift_codegen::isa::CallConv;
use cranelift_module::{FuncId, Linkage, Module};
use cranelift_object::ObjectModule;
use kiln_abi::builtin::Builtin;
use kiln_abi::info::{ExportKind, ModuleInfo};
use kiln_abi::symbols;

use super::internal;
use crate::{translate, CompileError};

/// The ids of everything declared.
pub(super) struct Declarations {
    /// The Cranelift function of each function index (None for imports).
    pub funcs: Vec<Option<FuncId>>,
    /// Each runtime builtin's id and native signature, by [`Builtin::index`].
    pub builtins: Vec<(FuncId, Signature)>,
    /// Array-call trampolines, by the function index they call, sorted by it.
    pub trampolines: Vec<(u32, FuncId)>,
    /// The host adapter of each imported function, by import index.
    pub import_adapters: Vec<FuncId>,
}

impl Declarations {
    /// The trampoline of function `index`, if it has one.
    pub(crate) fn trampoline(&self, index: u32) -> Option<FuncId> {
        let i = self
            .trampolines
            .binary_search_by_key(&index, |(f, _)| *f)
            .ok()?;
        Some(self.trampolines[i].1)
    }
}

/// `host_call_conv` is the platform's C convention (builtins, trampolines); wasm functions
/// and import adapters have [`translate::WASM_CALL_CONV`].
pub(super) fn declare(
    module: &mut ObjectModule,
    info: &ModuleInfo,
    host_call_conv: CallConv,
) -> Result<Declarations, CompileError> {
    let mut funcs = vec![None; info.funcs.len()];
    let mut import_adapters = Vec::with_capacity(info.num_imported_funcs as usize);
    let num_funcs = u32::try_from(info.funcs.len()).expect("wasm function indices are u32");
    for index in 0..num_funcs {
        let ty = &info.types[info.funcs[index as usize] as usize];
        let sig = translate::wasm_signature(ty, translate::WASM_CALL_CONV);
        let imported = index < info.num_imported_funcs;
        let name = if imported {
            symbols::import_adapter(index)
        } else {
            symbols::func(index)
        };
        let id = module
            .declare_function(&name, Linkage::Local, &sig)
            .map_err(internal)?;
        if imported {
            import_adapters.push(id);
        } else {
            funcs[index as usize] = Some(id);
        }
    }
    let builtins = declare_builtins(module, host_call_conv)?;
    let mut tramp_sig = Signature::new(host_call_conv);
    tramp_sig.params.push(AbiParam::new(types::I64));
    tramp_sig.params.push(AbiParam::new(types::I64));
    let mut trampolines = Vec::new();
    for index in trampoline_indices(info) {
        let id = module
            .declare_function(&symbols::trampoline(index), Linkage::Local, &tramp_sig)
            .map_err(internal)?;
        trampolines.push((index, id));
    }
    Ok(Declarations {
        funcs,
        builtins,
        trampolines,
        import_adapters,
    })
}

/// The runtime builtins (`kiln_rt_*`), imported from the runtime library with the
/// signatures of their entries in the ABI's list.
fn declare_builtins(
    module: &mut ObjectModule,
    call_conv: CallConv,
) -> Result<Vec<(FuncId, Signature)>, CompileError> {
    let mut builtins = Vec::with_capacity(Builtin::ALL.len());
    for &builtin in Builtin::ALL {
        // A builtin that throws is called with `try_call`, whose callees use `tail`.
        let conv = if builtin.throws() {
            CallConv::Tail
        } else {
            call_conv
        };
        let sig = translate::builtin_signature(builtin, conv);
        let id = module
            .declare_function(builtin.symbol(), Linkage::Import, &sig)
            .map_err(internal)?;
        builtins.push((id, sig));
    }
    Ok(builtins)
}

/// Defined functions that get an array-call trampoline: exports and the start function.
fn trampoline_indices(info: &ModuleInfo) -> Vec<u32> {
    let mut indices: Vec<u32> = info
        .exports
        .iter()
        .filter(|e| e.kind == ExportKind::Func && e.index >= info.num_imported_funcs)
        .map(|e| e.index)
        .chain(info.start.filter(|s| *s >= info.num_imported_funcs))
        .collect();
    indices.sort_unstable();
    indices.dedup();
    indices
}
