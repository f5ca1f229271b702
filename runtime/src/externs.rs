//! Functions and globals as the VM layer holds them: what an instance imports and exports,
//! before the embedding API ([`crate::embed`]) puts a public face on them. Host functions
//! (WASI's among them) are bound as [`VmFunc::host`]. An extern taken from an instance
//! keeps it alive through an opaque owner, so this module does not depend on `instance`
//! (which depends on it).

use std::any::Any;
use std::cell::UnsafeCell;
use std::rc::Rc;
use std::sync::Arc;

use kiln_abi::info::{FuncType, GlobalType};
use kiln_abi::vmctx::{VmCtx, VmFuncRef, VmTag};
use kiln_abi::ValRaw;

use crate::memory::LinearMemory;
use crate::table::WasmTable;
use crate::traps::{self, ArrayCall, Caught};

/// Anything an instance imports or exports, at the VM layer.
#[derive(Clone)]
pub(crate) enum VmExtern {
    Func(VmFunc),
    Table(Rc<WasmTable>),
    Memory(Arc<LinearMemory>),
    Global(VmGlobal),
    /// A tag; its address is its identity, and it lives for good.
    Tag(&'static VmTag),
}

/// A function with its type; keeps its instance alive.
#[derive(Clone)]
pub(crate) struct VmFunc(Rc<FuncData>);

struct FuncData {
    ty: FuncType,
    type_id: u32,
    kind: FuncKind,
}

enum FuncKind {
    /// Host code with the wasm ABI; receives the importing instance's vmctx.
    Host(*const u8),
    /// A defined function of an instance.
    Wasm {
        /// Its funcref in the instance (code, type id, the instance's vmctx).
        funcref: *const VmFuncRef,
        /// Its array-call trampoline, null when it has none (it is not exported).
        trampoline: *const u8,
        /// The native stack budget of its module's code.
        max_wasm_stack: usize,
        /// The instance, kept alive while the function is.
        _owner: Rc<dyn Any>,
    },
}

impl VmFunc {
    /// A host function: `code` is an `extern "C" fn(vmctx, params...) -> results` that
    /// receives the vmctx of the instance that imports it.
    pub(crate) fn host(ty: FuncType, code: *const u8) -> VmFunc {
        let type_id = crate::types::intern(&ty);
        VmFunc(Rc::new(FuncData {
            ty,
            type_id,
            kind: FuncKind::Host(code),
        }))
    }

    /// A defined function of the instance `owner`: its type, funcref, trampoline (or
    /// null) and its module's stack budget.
    pub(crate) fn wasm(
        ty: FuncType,
        funcref: *const VmFuncRef,
        trampoline: *const u8,
        max_wasm_stack: usize,
        owner: Rc<dyn Any>,
    ) -> VmFunc {
        // SAFETY: `funcref` points into the instance `owner`, alive as long as it is.
        let type_id = unsafe { (*funcref).type_id };
        VmFunc(Rc::new(FuncData {
            ty,
            type_id,
            kind: FuncKind::Wasm {
                funcref,
                trampoline,
                max_wasm_stack,
                _owner: owner,
            },
        }))
    }

    pub(crate) fn ty(&self) -> &FuncType {
        &self.0.ty
    }

    /// The host code and canonical type id, for a host function.
    pub(crate) fn host_parts(&self) -> Option<(*const u8, u32)> {
        match self.0.kind {
            FuncKind::Host(code) => Some((code, self.0.type_id)),
            FuncKind::Wasm { .. } => None,
        }
    }

    /// The funcref of a wasm function; null for host functions (they get one per
    /// importing instance).
    /// The canonical id of the function's type.
    pub(crate) fn type_id(&self) -> u32 {
        self.0.type_id
    }

    pub(crate) fn wasm_funcref(&self) -> *const VmFuncRef {
        match &self.0.kind {
            FuncKind::Wasm { funcref, .. } => *funcref,
            FuncKind::Host(_) => std::ptr::null(),
        }
    }

    /// The array-call entry (trampoline) and the vmctx to pass it. Host functions of type
    /// `[] -> []` are callable directly (the extra argument is harmless in the C ABI).
    pub(crate) fn array_call(&self) -> (Option<ArrayCall>, *mut VmCtx) {
        match &self.0.kind {
            FuncKind::Wasm {
                funcref,
                trampoline,
                ..
            } => {
                let code = if trampoline.is_null() {
                    None
                } else {
                    // SAFETY: a non-null trampoline pointer from the descriptor is an
                    // array-call function.
                    Some(unsafe { std::mem::transmute::<*const u8, ArrayCall>(*trampoline) })
                };
                // SAFETY: the funcref lives in the instance this function keeps alive.
                (code, unsafe { (**funcref).vmctx })
            }
            FuncKind::Host(code) => {
                let ok = self.0.ty.params.is_empty() && self.0.ty.results.is_empty();
                // SAFETY: host code with the wasm ABI, type `[] -> []`: callable as an
                // array call whose values pointer it ignores.
                let f = ok.then(|| unsafe { std::mem::transmute::<*const u8, ArrayCall>(*code) });
                (f, std::ptr::null_mut())
            }
        }
    }

    /// Calls a wasm function with its arguments in `values` (at least as many slots as
    /// parameters and results), which receives the results; traps and `proc_exit` caught.
    /// `Err` says why the function cannot be called from the host.
    pub(crate) fn call_raw(
        &self,
        values: &mut [ValRaw],
    ) -> Result<Result<(), Caught>, &'static str> {
        let ty = &self.0.ty;
        assert!(values.len() >= ty.params.len().max(ty.results.len()));
        let (Some(code), vmctx) = self.array_call() else {
            return Err("this function cannot be called from the host");
        };
        let FuncKind::Wasm { max_wasm_stack, .. } = self.0.kind else {
            return Err("host functions are called from wasm only");
        };
        let vp = values.as_mut_ptr();
        // SAFETY: `code` is the function's trampoline, called with its instance's vmctx and
        // a values array big enough for its parameters and results.
        Ok(crate::stack::with_wasm_stack(
            vmctx,
            max_wasm_stack,
            || unsafe { traps::call(code, vmctx, vp) },
        ))
    }
}

/// A global variable: its own slot, or a defined global of an instance it keeps alive.
#[derive(Clone)]
pub(crate) struct VmGlobal(Rc<GlobalData>);

struct GlobalData {
    ty: GlobalType,
    ptr: *mut ValRaw,
    _own: Option<Box<UnsafeCell<ValRaw>>>,
    /// The instance whose slot this is, kept alive while the global is.
    _owner: Option<Rc<dyn Any>>,
}

impl VmGlobal {
    /// A global of its own (a host global), holding `val`.
    pub(crate) fn new(ty: GlobalType, val: ValRaw) -> VmGlobal {
        let cell = Box::new(UnsafeCell::new(val));
        let ptr = cell.get();
        VmGlobal(Rc::new(GlobalData {
            ty,
            ptr,
            _own: Some(cell),
            _owner: None,
        }))
    }

    /// The global whose slot is `ptr` in the vmctx of the instance `owner`.
    pub(crate) fn from_instance(ty: GlobalType, ptr: *mut ValRaw, owner: Rc<dyn Any>) -> VmGlobal {
        VmGlobal(Rc::new(GlobalData {
            ty,
            ptr,
            _own: None,
            _owner: Some(owner),
        }))
    }

    /// The value slot, alive as long as `self`.
    pub(crate) fn ptr(&self) -> *mut ValRaw {
        self.0.ptr
    }

    pub(crate) fn ty(&self) -> GlobalType {
        self.0.ty
    }
}
