//! The embedding API: load a compiled module, link and instantiate it, call its exports.
//! Used by the executable's entry, by test harnesses and by the in-process loader.
//!
//! A façade over the VM layer (`instance`, `externs`, `memory`, `table`, `traps`, ...):
//! each public type wraps its VM counterpart and adds the checks and conversions a host
//! needs ([`Val`], argument types); the VM layer never names these types.
//!
//! Objects are reference counted and single-threaded (`!Send`): an [`Instance`] stays alive
//! while any extern exported from it does, and a table keeps alive the instances whose
//! functions the runtime wrote into it.

use std::fmt;
use std::rc::Rc;
use std::sync::Arc;

use kiln_abi::descriptor::ModuleDescriptor;
pub use kiln_abi::info::{
    FuncType, GlobalType, Limits, MemoryType, ModuleInfo, RunConfig, TableType, ValType,
};
pub use kiln_abi::vmctx::VmFuncRef;
pub use kiln_abi::Trap;
use kiln_abi::ValRaw;

use crate::externs::{VmExtern, VmFunc, VmGlobal};
pub use crate::instance::InstantiateError;
use crate::instance::{self, InstanceInner};
use crate::memory::LinearMemory;
use crate::module::ModuleInner;
use crate::table::WasmTable;
use crate::traps::{self, Caught};
pub use crate::wasi::WasiCtx;

/// An error outside wasm execution (bad descriptor, resource limits, ...).
#[derive(Debug, Clone)]
pub struct Error(pub String);

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Error {}

/// A wasm value.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Val {
    I32(i32),
    I64(i64),
    /// Bits of an f32.
    F32(u32),
    /// Bits of an f64.
    F64(u64),
    V128(u128),
    /// Null is a null pointer.
    FuncRef(*const VmFuncRef),
    /// Zero is null.
    ExternRef(u64),
    /// An `exnref`: the exception object's address; zero is null.
    ExnRef(u64),
}

impl Val {
    pub fn ty(&self) -> ValType {
        match self {
            Val::I32(_) => ValType::I32,
            Val::I64(_) => ValType::I64,
            Val::F32(_) => ValType::F32,
            Val::F64(_) => ValType::F64,
            Val::V128(_) => ValType::V128,
            Val::FuncRef(_) => ValType::FuncRef,
            Val::ExternRef(_) => ValType::ExternRef,
            Val::ExnRef(_) => ValType::ExnRef,
        }
    }

    pub(crate) fn to_raw(self) -> ValRaw {
        let mut v = [0u8; 16];
        match self {
            Val::I32(x) => v[..4].copy_from_slice(&x.to_le_bytes()),
            Val::I64(x) => v[..8].copy_from_slice(&x.to_le_bytes()),
            Val::F32(x) => v[..4].copy_from_slice(&x.to_le_bytes()),
            Val::F64(x) => v[..8].copy_from_slice(&x.to_le_bytes()),
            Val::V128(x) => v.copy_from_slice(&x.to_le_bytes()),
            Val::FuncRef(p) => v[..8].copy_from_slice(&(p as u64).to_le_bytes()),
            Val::ExternRef(x) | Val::ExnRef(x) => v[..8].copy_from_slice(&x.to_le_bytes()),
        }
        v
    }

    pub(crate) fn from_raw(ty: ValType, v: &ValRaw) -> Val {
        let u32_ = || u32::from_le_bytes(v[..4].try_into().expect("4"));
        let u64_ = || u64::from_le_bytes(v[..8].try_into().expect("8"));
        match ty {
            ValType::I32 => Val::I32(u32_() as i32),
            ValType::I64 => Val::I64(u64_() as i64),
            ValType::F32 => Val::F32(u32_()),
            ValType::F64 => Val::F64(u64_()),
            ValType::V128 => Val::V128(u128::from_le_bytes(*v)),
            ValType::ExternRef => Val::ExternRef(u64_()),
            ValType::ExnRef => Val::ExnRef(u64_()),
            t if t.is_func_ref() => Val::FuncRef(host_ptr(u64_())),
            _ => Val::ExternRef(u64_()),
        }
    }

    /// Whether the value may be stored where `ty` is expected: the same type, or a
    /// reference of the right kind (typed references are checked by kind and null only;
    /// the type of a function reference is wasm's to check).
    pub fn fits(&self, ty: ValType) -> bool {
        match (self, ty) {
            (_, ValType::Ref(r)) if !r.nullable && self.to_ref() == Some(0) => false,
            (Val::FuncRef(_), t) => t.is_func_ref(),
            (Val::ExternRef(_), t) => t.is_ref() && !t.is_func_ref() && t != ValType::ExnRef,
            (v, t) => v.ty() == t,
        }
    }

    /// The 8-byte table representation of a reference value.
    fn to_ref(self) -> Option<u64> {
        match self {
            Val::FuncRef(p) => Some(p as u64),
            Val::ExternRef(x) | Val::ExnRef(x) => Some(x),
            _ => None,
        }
    }
}

/// A compiled module, decoded from its descriptor. Cheap to clone.
#[derive(Clone, Copy)]
pub struct Module(pub(crate) &'static ModuleInner);

impl Module {
    /// Decodes the module (once per descriptor) and registers its code for trap handling.
    ///
    /// # Safety
    /// `desc` points to a valid descriptor whose code and data stay mapped for the
    /// program's life.
    pub unsafe fn from_descriptor(desc: *const ModuleDescriptor) -> Result<Module, Error> {
        // SAFETY: the caller's contract: `desc` is a valid descriptor mapped for good.
        unsafe { crate::module::register(desc) }
            .map(Module)
            .map_err(Error)
    }

    pub fn info(&self) -> &ModuleInfo {
        &self.0.info
    }

    /// The grants and limits baked in at compile time.
    pub fn run_config(&self) -> &RunConfig {
        &self.0.config
    }
}

/// Anything an instance imports or exports.
#[derive(Clone)]
pub enum Extern {
    Func(Func),
    Table(Table),
    Memory(Memory),
    Global(Global),
    Tag(Tag),
}

impl Extern {
    pub(crate) fn from_vm(e: VmExtern) -> Extern {
        match e {
            VmExtern::Func(f) => Extern::Func(Func(f)),
            VmExtern::Table(t) => Extern::Table(Table(t)),
            VmExtern::Memory(m) => Extern::Memory(Memory(m)),
            VmExtern::Global(g) => Extern::Global(Global(g)),
            VmExtern::Tag(t) => Extern::Tag(Tag(t)),
        }
    }

    fn to_vm(&self) -> VmExtern {
        match self {
            Extern::Func(f) => VmExtern::Func(f.0.clone()),
            Extern::Table(t) => VmExtern::Table(t.0.clone()),
            Extern::Memory(m) => VmExtern::Memory(m.0.clone()),
            Extern::Global(g) => VmExtern::Global(g.0.clone()),
            Extern::Tag(t) => VmExtern::Tag(t.0),
        }
    }
}

/// A function with its type; keeps its instance alive.
#[derive(Clone)]
pub struct Func(VmFunc);

impl Func {
    /// A host function: `code` is an `extern "C" fn(vmctx, params...) -> results` that
    /// receives the vmctx of the instance that imports it.
    pub fn host(ty: FuncType, code: *const u8) -> Func {
        Func(VmFunc::host(ty, code))
    }

    pub fn ty(&self) -> &FuncType {
        self.0.ty()
    }

    /// The function's funcref, when it is a wasm function (host functions get one per
    /// importing instance).
    pub fn funcref(&self) -> Option<*const VmFuncRef> {
        match self.0.host_parts() {
            None => Some(self.0.wasm_funcref()),
            Some(_) => None,
        }
    }

    /// Calls the function with `args`, catching traps and `proc_exit`.
    pub fn call(&self, args: &[Val]) -> Result<Vec<Val>, Unwind> {
        let ty = self.0.ty();
        if args.len() != ty.params.len() || args.iter().zip(&ty.params).any(|(a, t)| !a.fits(*t)) {
            return Err(Unwind::Error(format!(
                "wrong arguments: expected {:?}, got {args:?}",
                ty.params
            )));
        }
        let mut values = vec![[0u8; 16]; ty.params.len().max(ty.results.len()).max(1)];
        for (slot, a) in values.iter_mut().zip(args) {
            *slot = a.to_raw();
        }
        match self.0.call_raw(&mut values) {
            Err(why) => Err(Unwind::Error(why.into())),
            Ok(Ok(())) => Ok(ty
                .results
                .iter()
                .zip(&values)
                .map(|(t, v)| Val::from_raw(*t, v))
                .collect()),
            Ok(Err(Caught::Exit(code))) => Err(Unwind::Exit(code)),
            Ok(Err(Caught::Trap { trap, frames })) => Err(Unwind::Trap {
                trap,
                message: traps::report(trap, &frames),
            }),
            Ok(Err(Caught::Exception { exn, frames })) => Err(Unwind::Exception {
                exn: Val::ExnRef(exn as u64),
                message: traps::exception_report(&frames),
            }),
        }
    }
}

/// A table of references.
#[derive(Clone)]
pub struct Table(pub(crate) Rc<WasmTable>);

impl Table {
    pub fn new(ty: TableType, init: Val) -> Result<Table, Error> {
        let init = init
            .to_ref()
            .ok_or_else(|| Error("table init must be a reference".into()))?;
        WasmTable::new(ty, init)
            .map(|t| Table(Rc::new(t)))
            .map_err(Error)
    }

    /// The type with the current size as its minimum.
    pub fn ty(&self) -> TableType {
        let mut ty = self.0.ty;
        ty.limits.min = u64::from(self.0.len());
        ty
    }

    pub fn size(&self) -> u32 {
        self.0.len()
    }

    pub fn get(&self, index: u32) -> Option<Val> {
        let v = self.0.get(index)?;
        Some(if self.0.ty.elem.is_func_ref() {
            Val::FuncRef(host_ptr(v))
        } else if self.0.ty.elem == ValType::ExnRef {
            Val::ExnRef(v)
        } else {
            Val::ExternRef(v)
        })
    }

    pub fn set(&self, index: u32, val: Val) -> Result<(), Error> {
        let v = val
            .to_ref()
            .ok_or_else(|| Error("not a reference".into()))?;
        if self.0.set(index, v) {
            Ok(())
        } else {
            Err(Error("table index out of bounds".into()))
        }
    }
}

/// A linear memory. (Atomically reference counted: a shared memory is used by the
/// instances of several threads.)
#[derive(Clone)]
pub struct Memory(pub(crate) Arc<LinearMemory>);

impl Memory {
    pub fn new(ty: MemoryType) -> Result<Memory, Error> {
        LinearMemory::new(ty)
            .map(|m| Memory(Arc::new(m)))
            .map_err(Error)
    }

    /// The type with the current size in pages as the minimum.
    pub fn ty(&self) -> MemoryType {
        MemoryType {
            limits: Limits {
                min: self.0.pages(),
                max: self.0.declared_max(),
            },
            memory64: self.0.is_64(),
            shared: self.0.is_shared(),
        }
    }

    pub fn size_pages(&self) -> u64 {
        self.0.pages()
    }

    pub fn data_ptr(&self) -> *mut u8 {
        self.0.base()
    }

    pub fn data_len(&self) -> usize {
        usize::try_from(self.0.byte_len()).expect("the memory is mapped in this process")
    }

    /// Grows by `delta` pages; the old size, or `None`.
    pub fn grow(&self, delta: u64) -> Option<u64> {
        self.0.grow(delta)
    }
}

/// A global variable.
#[derive(Clone)]
pub struct Global(VmGlobal);

impl Global {
    pub fn new(ty: GlobalType, val: Val) -> Global {
        Global(VmGlobal::new(ty, val.to_raw()))
    }

    pub fn get(&self) -> Val {
        // SAFETY: the slot is alive as long as `self`, and no wasm runs during the read.
        Val::from_raw(self.0.ty().ty, unsafe { &*self.0.ptr() })
    }

    /// Sets a mutable global; refuses immutable ones and values of the wrong type.
    pub fn set(&self, val: Val) -> Result<(), Error> {
        let ty = self.0.ty();
        if !ty.mutable || !val.fits(ty.ty) {
            return Err(Error("global is immutable or of another type".into()));
        }
        // SAFETY: the slot is alive as long as `self`, and no wasm runs during the write.
        unsafe { *self.0.ptr() = val.to_raw() };
        Ok(())
    }

    pub fn ty(&self) -> GlobalType {
        self.0.ty()
    }
}

/// A tag (exception handling): what `catch` clauses match exceptions by. Tags live for the
/// rest of the process.
#[derive(Clone, Copy)]
pub struct Tag(&'static kiln_abi::vmctx::VmTag);

/// How a call into wasm ended, when it did not return.
#[derive(Debug)]
pub enum Unwind {
    /// `message` is the full report: `wasm trap: ...` and the wasm backtrace.
    Trap {
        trap: Trap,
        message: String,
    },
    /// A wasm exception nothing caught: its `exnref`, and the report (`wasm trap: thrown
    /// Wasm exception` and the backtrace from the throw).
    Exception {
        exn: Val,
        message: String,
    },
    /// `proc_exit(code)`.
    Exit(i32),
    Error(String),
}

impl fmt::Display for Unwind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Unwind::Trap { message, .. } | Unwind::Exception { message, .. } => {
                f.write_str(message)
            }
            Unwind::Exit(c) => write!(f, "exit with status {c}"),
            Unwind::Error(s) => f.write_str(s),
        }
    }
}

/// An instance of a module. Cheap to clone.
#[derive(Clone)]
pub struct Instance(Rc<InstanceInner>);

impl Instance {
    /// Instantiates `module` with `imports` given in the module's import order.
    pub fn new(module: &Module, imports: &[Extern]) -> Result<Instance, InstantiateError> {
        let imports: Vec<VmExtern> = imports.iter().map(Extern::to_vm).collect();
        instance::instantiate(module.0, &imports, None, &module.0.config.limits).map(Instance)
    }

    /// Instantiates a WASI module: every import must be a `wasi_snapshot_preview1` or
    /// `wasi_unstable` function.
    pub fn new_wasi(module: &Module, wasi: WasiCtx) -> Result<Instance, InstantiateError> {
        let imports = crate::wasi::imports_for(module.info(), module.0.config.limits.max_memory)?;
        let limits = &module.0.config.limits;
        let host = Some(crate::wasi::host_state(wasi));
        instance::instantiate(module.0, &imports, host, limits).map(Instance)
    }

    /// As [`Instance::new_wasi`], with the imports given explicitly (host functions that
    /// are not WASI among them).
    pub fn new_wasi_with(
        module: &Module,
        imports: &[Extern],
        wasi: WasiCtx,
    ) -> Result<Instance, InstantiateError> {
        Instance::new_wasi_limited(module, imports, wasi, &module.0.config.limits)
    }

    /// As [`Instance::new_wasi_with`], with memories and tables held to `limits` instead of
    /// the module's compile-time ones (the executable's entry passes them tightened by the
    /// launcher's).
    pub fn new_wasi_limited(
        module: &Module,
        imports: &[Extern],
        wasi: WasiCtx,
        limits: &kiln_abi::info::ResourceLimits,
    ) -> Result<Instance, InstantiateError> {
        let imports: Vec<VmExtern> = imports.iter().map(Extern::to_vm).collect();
        let host = Some(crate::wasi::host_state(wasi));
        instance::instantiate(module.0, &imports, host, limits).map(Instance)
    }

    pub fn module(&self) -> Module {
        Module(self.0.module)
    }

    /// The instance's context (what compiled code and host functions receive).
    pub fn vmctx(&self) -> *mut kiln_abi::vmctx::VmCtx {
        self.0.vmctx
    }

    pub fn export(&self, name: &str) -> Option<Extern> {
        self.0.export(name).map(Extern::from_vm)
    }

    /// Calls the exported function `name`.
    pub fn call(&self, name: &str, args: &[Val]) -> Result<Vec<Val>, Unwind> {
        match self.export(name) {
            Some(Extern::Func(f)) => f.call(args),
            Some(_) => Err(Unwind::Error(format!("export `{name}` is not a function"))),
            None => Err(Unwind::Error(format!("no export named `{name}`"))),
        }
    }

    /// Runs the WASI command's `_start` (once). `proc_exit(code)` gives
    /// `Err(Unwind::Exit(code))`, as Node's `returnOnExit`.
    pub fn run_start(&self) -> Result<(), Unwind> {
        if self.0.started.replace(true) {
            return Err(Unwind::Error(
                "the instance has already been started".into(),
            ));
        }
        if self.0.module.info.export("_initialize").is_some() {
            return Err(Unwind::Error(
                "the module is a reactor (exports `_initialize`)".into(),
            ));
        }
        self.call("_start", &[]).map(drop)
    }
}

/// The address of a `kiln_rt_*` builtin, for the in-process object loader.
pub fn builtin_address(name: &str) -> Option<usize> {
    crate::builtins::address(name)
}

/// A funcref as a table slot or a `ValRaw` stores it (the pointer's bits in a u64) back as
/// the pointer.
fn host_ptr(v: u64) -> *const VmFuncRef {
    usize::try_from(v).expect("a funcref slot holds a host pointer (64-bit host)")
        as *const VmFuncRef
}
