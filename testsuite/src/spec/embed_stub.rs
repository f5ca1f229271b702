//! Stand-in for `kiln_runtime::embed` until the runtime's embedding API lands: the same
//! names and signatures, every operation failing. Deleted once the real one exists.
#![allow(dead_code, clippy::missing_safety_doc)]

use kiln_abi::descriptor::ModuleDescriptor;
pub use kiln_abi::info::{FuncType, GlobalType, Limits, ModuleInfo, TableType};
use kiln_abi::vmctx::VmFuncRef;
pub use kiln_abi::Trap;

#[derive(Debug)]
pub struct Error(String);
impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

#[derive(Clone, Copy, Debug)]
pub enum Val {
    I32(i32),
    I64(i64),
    F32(u32),
    F64(u64),
    V128(u128),
    FuncRef(*const VmFuncRef),
    ExternRef(u64),
}

pub struct Module(ModuleInfo);
impl Module {
    pub unsafe fn from_descriptor(_desc: *const ModuleDescriptor) -> Result<Module, Error> {
        Err(Error("kiln_runtime::embed is not there yet".into()))
    }
    pub fn info(&self) -> &ModuleInfo {
        &self.0
    }
}

#[derive(Clone)]
pub enum Extern {
    Func(Func),
    Table(Table),
    Memory(Memory),
    Global(Global),
}

#[derive(Clone)]
pub struct Func(FuncType);
impl Func {
    pub fn host(ty: FuncType, _code: *const u8) -> Func {
        Func(ty)
    }
    pub fn ty(&self) -> &FuncType {
        &self.0
    }
}

#[derive(Clone)]
pub struct Table;
impl Table {
    pub fn new(_ty: TableType, _init: Val) -> Result<Table, Error> {
        Ok(Table)
    }
}

#[derive(Clone)]
pub struct Memory;
impl Memory {
    pub fn new(_limits: Limits) -> Result<Memory, Error> {
        Ok(Memory)
    }
}

#[derive(Clone)]
pub struct Global(Val);
impl Global {
    pub fn new(_ty: GlobalType, val: Val) -> Global {
        Global(val)
    }
    pub fn get(&self) -> Val {
        self.0
    }
}

pub struct Instance;
impl Instance {
    pub fn new(_module: &Module, _imports: &[Extern]) -> Result<Instance, InstantiateError> {
        Err(InstantiateError::Other("stub".into()))
    }
    pub fn export(&self, _name: &str) -> Option<Extern> {
        None
    }
    pub fn call(&self, _name: &str, _args: &[Val]) -> Result<Vec<Val>, Unwind> {
        Err(Unwind::Error("stub".into()))
    }
}

pub enum InstantiateError {
    Link(String),
    Trap(Trap),
    Other(String),
}

pub enum Unwind {
    Trap { trap: Trap, message: String },
    Exit(i32),
    Error(String),
}

pub fn builtin_address(_name: &str) -> Option<usize> {
    None
}
