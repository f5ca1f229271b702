//! Kiln's compiler: a WebAssembly module (binary or text) in, one relocatable object out.
//!
//! ```text
//! bytes ─► wat::parse_bytes ─► environ::translate_module (wasmparser: sections, validation,
//!          ModuleInfo) ─► per function, in parallel: func_translator (operators ─► CLIF)
//!          ─► Cranelift ─► object::ObjectBuilder: functions, trampolines, descriptor ─► .o
//! ```

mod error;
pub use error::CompileError;

pub use kiln_abi::info::RunConfig;

/// How hard Cranelift optimises.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum OptLevel {
    None,
    Speed,
    #[default]
    SpeedAndSize,
}

/// What the module must be.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ModuleKind {
    /// A WASI command: exports `_start` and `memory`, imports only WASI functions.
    #[default]
    Command,
    /// Any valid module (test harnesses instantiate it with their own imports).
    Library,
}

/// What to do with a command's imports that the runtime cannot provide.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum UnknownImports {
    #[default]
    Reject,
    /// Compile anyway; calling such an import traps.
    Trap,
}

#[derive(Clone, Debug, Default)]
pub struct CompileOptions {
    pub opt_level: OptLevel,
    pub kind: ModuleKind,
    pub unknown_imports: UnknownImports,
    /// Grants and limits baked into the executable.
    pub run_config: RunConfig,
}

/// Compiles a module (wasm binary or `.wat` text) into a relocatable object file.
pub fn compile(bytes: &[u8], opts: &CompileOptions) -> Result<Vec<u8>, CompileError> {
    let _ = (bytes, opts);
    Err(CompileError::Unsupported {
        feature: "everything (the translator is being written)".into(),
        offset: None,
    })
}
