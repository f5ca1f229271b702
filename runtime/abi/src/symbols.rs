//! Every symbol name the compiled object defines or references (the runtime builtins'
//! are [`crate::builtin::Builtin::symbol`]).

/// The module descriptor ([`crate::descriptor::ModuleDescriptor`]) the object defines.
pub const MODULE_DESCRIPTOR: &str = "kiln_module";

/// Defined wasm function `index` (module function index space, imports included).
pub fn func(index: u32) -> alloc::string::String {
    alloc::format!("kiln_func_{index}")
}

/// Array-call trampoline for defined function `index`.
pub fn trampoline(index: u32) -> alloc::string::String {
    alloc::format!("kiln_trampoline_{index}")
}

/// The tail-call-convention adapter through which wasm calls imported function `index`
/// when it is a host function (see [`crate::vmctx::VmImportedFunc`]).
pub fn import_adapter(index: u32) -> alloc::string::String {
    alloc::format!("kiln_import_adapter_{index}")
}
