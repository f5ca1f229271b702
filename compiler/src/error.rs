//! Everything that can go wrong in `kiln compile`, phrased for the person who ran it.

use std::fmt;

#[derive(Debug, thiserror::Error)]
pub enum CompileError {
    /// Not a wasm binary nor valid `.wat` text.
    #[error("{0}")]
    Parse(String),
    /// Rejected by the validator.
    #[error("invalid module at byte offset {offset:#x}: {message}")]
    Invalid { offset: usize, message: String },
    /// Valid wasm that uses something Kiln does not support yet.
    #[error("unsupported: {feature}{}", At(*offset))]
    Unsupported {
        feature: String,
        offset: Option<usize>,
    },
    /// Imports the runtime cannot satisfy, one `module.name: (params) -> (results)` each.
    #[error("the module imports {} function{} Kiln cannot provide:\n{}\n(use --unknown-imports=trap to compile anyway and trap when one is called)",
        .0.len(), if .0.len() == 1 { "" } else { "s" },
        .0.iter().map(|s| format!("  {s}")).collect::<Vec<_>>().join("\n"))]
    UnknownImports(Vec<String>),
    #[error("the module does not export a `_start` function, so it is not a WASI command")]
    MissingStart,
    #[error("the module does not export a `memory`; a WASI command must export its linear memory as \"memory\"")]
    MissingMemory,
    /// The `memory` export is not memory 0, the memory WASI functions read and write.
    #[error("the module exports memory {0} as \"memory\"; WASI functions use memory 0, so a WASI command must export memory 0 as \"memory\"")]
    MemoryNotZero(u32),
    #[error("the module exports `_initialize`: it is a WASI reactor (a library), not a command; Kiln compiles commands only")]
    Reactor,
    /// A target triple or CPU Kiln cannot compile for.
    #[error("{0}")]
    Target(String),
    /// Cranelift rejected the IR of one function or failed to compile it: a bug in Kiln.
    /// `function` names it ("wasm function 12 `main`").
    #[error("internal compiler error in {function}: {message}")]
    Codegen { function: String, message: String },
    /// A bug in Kiln outside any one function.
    #[error("internal compiler error: {0}")]
    Internal(String),
}

struct At(Option<usize>);

impl fmt::Display for At {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(o) => write!(f, " (first used at byte offset {o:#x})"),
            None => Ok(()),
        }
    }
}

impl From<wasmparser::BinaryReaderError> for CompileError {
    fn from(e: wasmparser::BinaryReaderError) -> Self {
        crate::environ::invalid(e)
    }
}
