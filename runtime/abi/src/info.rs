//! What the runtime needs to instantiate a module, beyond its machine code. The compiler
//! builds a [`ModuleInfo`] from the wasm module, encodes it with postcard
//! ([`ModuleInfo::encode`]) and the runtime decodes it at start-up.
//!
//! Index spaces follow wasm: imported items come first, then defined ones.

use alloc::string::String;
use alloc::vec::Vec;
use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ValType {
    I32,
    I64,
    F32,
    F64,
    V128,
    FuncRef,
    ExternRef,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct FuncType {
    pub params: Vec<ValType>,
    pub results: Vec<ValType>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Limits {
    pub min: u64,
    pub max: Option<u64>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TableType {
    pub elem: ValType,
    pub limits: Limits,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct GlobalType {
    pub ty: ValType,
    pub mutable: bool,
}

/// A constant expression (global initialisers, segment offsets, element items).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ConstExpr {
    I32(i32),
    I64(i64),
    F32(u32),
    F64(u64),
    V128(u128),
    RefNull(ValType),
    RefFunc(u32),
    GlobalGet(u32),
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ImportKind {
    /// A function of the given type index.
    Func(u32),
    Table(TableType),
    /// Memory limits in pages.
    Memory(Limits),
    Global(GlobalType),
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Import {
    pub module: String,
    pub name: String,
    pub kind: ImportKind,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ExportKind {
    Func,
    Table,
    Memory,
    Global,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Export {
    pub name: String,
    pub kind: ExportKind,
    pub index: u32,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum SegmentMode {
    Active { index: u32, offset: ConstExpr },
    Passive,
    /// Element segments only: declares functions for `ref.func`, dropped at instantiation.
    Declared,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ElemSegment {
    pub mode: SegmentMode,
    pub elem: ValType,
    pub items: Vec<ConstExpr>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DataSegment {
    pub mode: SegmentMode,
    /// Range in the descriptor's data blob.
    pub start: u32,
    pub len: u32,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct GlobalDef {
    pub ty: GlobalType,
    /// `None` for imported globals.
    pub init: Option<ConstExpr>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ModuleInfo {
    pub types: Vec<FuncType>,
    /// The type index of every function, imports first.
    pub funcs: Vec<u32>,
    pub num_imported_funcs: u32,
    pub imports: Vec<Import>,
    /// Every table, imports first.
    pub tables: Vec<TableType>,
    pub num_imported_tables: u32,
    /// The memory's limits in pages, if the module has one (imported or defined).
    pub memory: Option<Limits>,
    pub memory_imported: bool,
    /// Every global, imports first.
    pub globals: Vec<GlobalDef>,
    pub num_imported_globals: u32,
    pub exports: Vec<Export>,
    pub start: Option<u32>,
    pub elements: Vec<ElemSegment>,
    pub data: Vec<DataSegment>,
    /// The module's name from the `name` section, if any.
    pub name: Option<String>,
    /// Function names from the `name` section: (function index, name), sorted by index.
    pub func_names: Vec<(u32, String)>,
}

impl ModuleInfo {
    pub fn encode(&self) -> Vec<u8> {
        postcard::to_allocvec(self).expect("encoding into a Vec cannot fail")
    }

    pub fn decode(bytes: &[u8]) -> Result<ModuleInfo, postcard::Error> {
        postcard::from_bytes(bytes)
    }

    pub fn func_name(&self, index: u32) -> Option<&str> {
        self.func_names
            .binary_search_by_key(&index, |(i, _)| *i)
            .ok()
            .map(|i| self.func_names[i].1.as_str())
    }

    pub fn export(&self, name: &str) -> Option<&Export> {
        self.exports.iter().find(|e| e.name == name)
    }
}

/// How the executable runs the module: the grants fixed at compile time (`kiln compile
/// --dir/--env/--inherit-env/--argv0`) and execution limits.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunConfig {
    /// Replaces `argv[0]` as the guest sees it.
    pub argv0: Option<String>,
    /// `(KEY, Some(value))` is fixed; `(KEY, None)` reads the host's value at start-up
    /// (absent on the host means absent in the guest).
    pub env: Vec<(String, Option<String>)>,
    /// Pass the host's whole environment through (before `env` is applied).
    pub inherit_env: bool,
    /// Preopened directories: (host path, guest path).
    pub dirs: Vec<(String, String)>,
    /// Whether the launcher may add grants at run time (see the runtime's README section).
    pub runtime_grants: bool,
    /// Native stack bytes wasm code may use before `call stack exhausted`; 0 = default.
    pub max_wasm_stack: u64,
    /// CPU features the code was compiled to use (names from [`crate::cpu::FEATURES`]).
    pub cpu_features: Vec<String>,
}

impl RunConfig {
    pub fn encode(&self) -> Vec<u8> {
        postcard::to_allocvec(self).expect("encoding into a Vec cannot fail")
    }

    pub fn decode(bytes: &[u8]) -> Result<RunConfig, postcard::Error> {
        postcard::from_bytes(bytes)
    }
}
