//! Instantiation: building a vmctx and everything it points to, following the spec's
//! instantiation order (imports, globals, tables and memory, element then data segments,
//! start function). Part of the VM layer: imports and exports are [`VmExtern`]s, and the
//! host state an instance carries (WASI's context) is opaque here.

use std::alloc::{self, Layout};
use std::any::Any;
use std::cell::{Cell, UnsafeCell};
use std::ptr;
use std::rc::{Rc, Weak};
use std::sync::Arc;

use kiln_abi::info::{
    ConstExpr, ConstOp, ConstValue, ExportKind, ImportKind, ResourceLimits, SegmentMode, ValType,
};
use kiln_abi::vmctx::{VmCtx, VmFuncRef, VmImportedFunc, VmMemory, VmTable, VmTag};
use kiln_abi::{Trap, ValRaw};

use crate::externs::{VmExtern, VmFunc, VmGlobal};
use crate::memory::LinearMemory;
use crate::module::ModuleInner;
use crate::table::WasmTable;
use crate::traps::{self, ArrayCall, Caught};
use crate::{stack, GLOBAL_SLOT, HEADER_SLOTS};

/// A live instance. `vmctx.host` points here.
pub(crate) struct InstanceInner {
    pub(crate) module: &'static ModuleInner,
    pub(crate) vmctx: *mut VmCtx,
    vmctx_layout: Layout,
    /// Every memory, imports first (`vmctx.memories` points at their `VmMemory`s).
    pub(crate) memories: Vec<Arc<LinearMemory>>,
    pub(crate) tables: Vec<Rc<WasmTable>>,
    _memory_ptrs: Box<[*mut VmMemory]>,
    _table_ptrs: Box<[*mut VmTable]>,
    _imported_funcs: Box<[VmImportedFunc]>,
    /// Funcrefs this instance owns: its defined functions, then its host imports.
    _own_funcrefs: Box<[VmFuncRef]>,
    pub(crate) func_refs: Box<[*const VmFuncRef]>,
    _imported_globals: Box<[*mut ValRaw]>,
    /// Every tag, imports first (`vmctx.tags` points here).
    pub(crate) tags: Box<[*const VmTag]>,
    /// Imported functions and globals, in import order (they also keep exporters alive;
    /// imported tables are kept by `tables`, imported memories by `memories`).
    pub(crate) import_funcs: Vec<VmFunc>,
    pub(crate) import_globals: Vec<VmGlobal>,
    pub(crate) elem_segments: UnsafeCell<Vec<Vec<u64>>>,
    /// The bytes each data segment still has (empty once dropped), made on first use
    /// ([`InstanceInner::data_segments`]): a module with a memory image may have tens of
    /// thousands of segments and never use one.
    data_segments: UnsafeCell<Option<Vec<&'static [u8]>>>,
    /// What host functions need beside the instance (WASI's context), if any; only they
    /// know its type.
    pub(crate) host_state: UnsafeCell<Option<Box<dyn Any>>>,
    pub(crate) started: Cell<bool>,
    pub(crate) me: Weak<InstanceInner>,
}

impl Drop for InstanceInner {
    fn drop(&mut self) {
        stack::unregister(self.vmctx);
        crate::interrupt::unregister(self.vmctx);
        // SAFETY: allocated in `instantiate` with this layout; nothing refers to it now.
        unsafe { alloc::dealloc(self.vmctx.cast(), self.vmctx_layout) };
    }
}

/// # Safety
/// `vmctx` is the context of a live instance (set up by `instantiate`).
pub(crate) unsafe fn from_vmctx<'a>(vmctx: *mut VmCtx) -> &'a InstanceInner {
    // SAFETY: the caller's contract: `vmctx` is live, and its `host` (set before any code
    // runs) points at the instance, which outlives the vmctx.
    unsafe { &*((*vmctx).host as *const InstanceInner) }
}

impl InstanceInner {
    pub(crate) fn as_any(&self) -> Rc<dyn Any> {
        self.me.upgrade().expect("instance alive while used")
    }

    /// Pointer to defined global `def`'s slot.
    pub(crate) fn defined_global(&self, def: usize) -> *mut ValRaw {
        // SAFETY: the vmctx allocation holds every defined global after the header.
        unsafe {
            self.vmctx
                .cast::<u8>()
                .add(GLOBAL_SLOT * (HEADER_SLOTS + def))
                .cast()
        }
    }

    pub(crate) fn global_ptr(&self, index: u32) -> *mut ValRaw {
        let nimp = self.module.info.num_imported_globals as usize;
        let i = index as usize;
        if i < nimp {
            self.import_globals[i].ptr()
        } else {
            self.defined_global(i - nimp)
        }
    }

    pub(crate) fn table(&self, index: u32) -> &WasmTable {
        &self.tables[index as usize]
    }

    /// The bytes of every data segment, by index: empty once dropped, and for an active
    /// segment once instantiation applied it (in a module with a memory image, before the
    /// instance exists).
    ///
    /// # Safety
    /// No other borrow of the segments is live (instances are single-threaded).
    #[allow(
        clippy::mut_from_ref,
        reason = "the UnsafeCell's contract, stated above"
    )]
    pub(crate) unsafe fn data_segments(&self) -> &mut Vec<&'static [u8]> {
        // SAFETY: the caller's contract.
        let slot = unsafe { &mut *self.data_segments.get() };
        slot.get_or_insert_with(|| {
            let module = self.module;
            let image = module.image.is_some();
            module
                .data_segments()
                .iter()
                .map(|d| match d.mode {
                    SegmentMode::Active { .. } if image => &[][..],
                    _ => {
                        let end = (d.start as usize + d.len as usize).min(module.data.len());
                        module.data.get(d.start as usize..end).unwrap_or(&[])
                    }
                })
                .collect()
        })
    }

    pub(crate) fn memory(&self, index: u32) -> Option<&LinearMemory> {
        self.memories.get(index as usize).map(|m| &**m)
    }

    fn eval(&self, e: &ConstExpr) -> ValRaw {
        let mut v = [0u8; 16];
        match *e {
            ConstExpr::I32(x) => v[..4].copy_from_slice(&x.to_le_bytes()),
            ConstExpr::I64(x) => v[..8].copy_from_slice(&x.to_le_bytes()),
            ConstExpr::F32(x) => v[..4].copy_from_slice(&x.to_le_bytes()),
            ConstExpr::F64(x) => v[..8].copy_from_slice(&x.to_le_bytes()),
            ConstExpr::V128(x) => v.copy_from_slice(&x.to_le_bytes()),
            ConstExpr::RefNull(_) => {}
            ConstExpr::RefFunc(f) => {
                v[..8].copy_from_slice(&(self.func_refs[f as usize] as u64).to_le_bytes())
            }
            // SAFETY: the global exists (validated) and was initialised before.
            ConstExpr::GlobalGet(g) => v = unsafe { *self.global_ptr(g) },
            ConstExpr::Extended(ref ops) => {
                let global = |g: u32| {
                    // SAFETY: as for `GlobalGet`.
                    let raw = unsafe { *self.global_ptr(g) };
                    Some(match self.module.info.globals[g as usize].ty.ty {
                        ValType::I32 => ConstValue::I32(i32::from_le_bytes(
                            raw[..4].try_into().expect("4 bytes"),
                        )),
                        _ => ConstValue::I64(i64::from_le_bytes(
                            raw[..8].try_into().expect("8 bytes"),
                        )),
                    })
                };
                match ConstOp::eval(ops, global).expect("a validated constant expression") {
                    ConstValue::I32(x) => v[..4].copy_from_slice(&x.to_le_bytes()),
                    ConstValue::I64(x) => v[..8].copy_from_slice(&x.to_le_bytes()),
                }
            }
        }
        v
    }

    fn eval_ref(&self, e: &ConstExpr) -> u64 {
        let v = self.eval(e);
        u64::from_le_bytes(v[..8].try_into().expect("8 bytes"))
    }

    /// A segment offset: an `i32` (32-bit memories and tables) or `i64` (64-bit ones),
    /// unsigned.
    fn eval_offset(&self, e: &ConstExpr, index64: bool) -> u64 {
        let v = self.eval(e);
        if index64 {
            u64::from_le_bytes(v[..8].try_into().expect("8 bytes"))
        } else {
            u64::from(u32::from_le_bytes(v[..4].try_into().expect("4 bytes")))
        }
    }

    /// Calls a function of type `[] -> []` (the start function) with traps caught.
    pub(crate) fn call_start(&self, index: u32) -> Result<(), Caught> {
        let (code, vmctx) = self.array_call_of(index);
        let Some(code) = code else {
            return Ok(());
        };
        // A host function (an imported start function) has no context of its own: it gets
        // the caller's, like any import.
        let vmctx = if vmctx.is_null() { self.vmctx } else { vmctx };
        let max = usize::try_from(self.module.config.max_wasm_stack).expect("64-bit host");
        stack::with_wasm_stack(vmctx, max, || {
            let mut values = [[0u8; 16]; 1];
            // SAFETY: a `[] -> []` function called through its array-call trampoline (or its
            // code directly: an extra argument is harmless in the C ABI).
            unsafe { traps::call(code, vmctx, values.as_mut_ptr()) }
        })
    }

    /// How to call function `index` with the array-call ABI, if possible.
    fn array_call_of(&self, index: u32) -> (Option<ArrayCall>, *mut VmCtx) {
        let nimp = self.module.info.num_imported_funcs;
        if index < nimp {
            return self.import_funcs[index as usize].array_call();
        }
        let entry = &self.module.funcs[(index - nimp) as usize];
        let code = if entry.trampoline.is_null() {
            entry.code
        } else {
            entry.trampoline
        };
        // SAFETY: a trampoline (or `[] -> []` function) pointer from the descriptor.
        (
            Some(unsafe { std::mem::transmute::<*const u8, ArrayCall>(code) }),
            self.vmctx,
        )
    }

    /// Defined function `index` as an extern that keeps this instance alive.
    fn defined_func(&self, index: u32, me: Rc<dyn Any>) -> VmFunc {
        let info = &self.module.info;
        // Canonical: the type is compared with other modules' types.
        let ty = crate::types::canonical_func(
            &info.types[info.funcs[index as usize] as usize],
            &self.module.type_ids,
        );
        let def = (index - info.num_imported_funcs) as usize;
        VmFunc::wasm(
            ty,
            self.func_refs[index as usize],
            self.module.funcs[def].trampoline,
            usize::try_from(self.module.config.max_wasm_stack).expect("64-bit host"),
            me,
        )
    }

    pub(crate) fn export(&self, name: &str) -> Option<VmExtern> {
        let e = self.module.info.export(name)?;
        let me: Rc<dyn Any> = self.me.upgrade()?;
        let info = &self.module.info;
        Some(match e.kind {
            ExportKind::Func => {
                if e.index < info.num_imported_funcs {
                    VmExtern::Func(self.import_funcs[e.index as usize].clone())
                } else {
                    VmExtern::Func(self.defined_func(e.index, me))
                }
            }
            ExportKind::Table => VmExtern::Table(self.tables[e.index as usize].clone()),
            ExportKind::Memory => VmExtern::Memory(self.memories.get(e.index as usize)?.clone()),
            // SAFETY: tags live for good.
            ExportKind::Tag => VmExtern::Tag(unsafe { &*self.tags[e.index as usize] }),
            ExportKind::Global => {
                if e.index < info.num_imported_globals {
                    VmExtern::Global(self.import_globals[e.index as usize].clone())
                } else {
                    let mut ty = info.globals[e.index as usize].ty;
                    ty.ty = crate::types::canonical_val(ty.ty, &self.module.type_ids);
                    let def = (e.index - info.num_imported_globals) as usize;
                    VmExtern::Global(VmGlobal::from_instance(ty, self.defined_global(def), me))
                }
            }
        })
    }
}

fn link_err(imp: &kiln_abi::info::Import, why: &str) -> InstantiateError {
    InstantiateError::Link(format!(
        "incompatible import type for `{}::{}`: {why}",
        imp.module, imp.name
    ))
}

fn limits_match(actual_min: u64, actual_max: Option<u64>, want: &kiln_abi::info::Limits) -> bool {
    actual_min >= want.min
        && match want.max {
            None => true,
            Some(m) => actual_max.is_some_and(|am| am <= m),
        }
}

/// Why instantiation failed.
#[derive(Debug)]
pub enum InstantiateError {
    /// An import is missing or of the wrong type (spec `assert_unlinkable`).
    Link(String),
    /// A trap in segment initialisation or the start function (`assert_uninstantiable`).
    Trap(Trap),
    /// An exception the start function threw and nothing caught.
    Exception,
    Other(String),
}

impl std::fmt::Display for InstantiateError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            InstantiateError::Link(s) | InstantiateError::Other(s) => f.write_str(s),
            InstantiateError::Trap(t) => write!(f, "wasm trap: {}", t.message()),
            InstantiateError::Exception => {
                write!(f, "wasm trap: {}", crate::traps::UNCAUGHT_EXCEPTION)
            }
        }
    }
}

/// Builds an instance of `module` with `imports` (in import order) and the state its host
/// functions need (WASI's context), then runs segment initialisation and the start function.
pub(crate) fn instantiate(
    module: &'static ModuleInner,
    imports: &[VmExtern],
    host_state: Option<Box<dyn Any>>,
    limits: &ResourceLimits,
) -> Result<Rc<InstanceInner>, InstantiateError> {
    let info = &module.info;
    if imports.len() != info.imports.len() {
        return Err(InstantiateError::Link(format!(
            "expected {} imports, found {}",
            info.imports.len(),
            imports.len()
        )));
    }
    // 1. Imports, type-checked.
    let mut import_funcs = Vec::new();
    let mut tables = Vec::new();
    let mut import_globals = Vec::new();
    let mut tags: Vec<*const VmTag> = Vec::with_capacity(info.tags.len());
    let mut memories = Vec::new();
    for (imp, ext) in info.imports.iter().zip(imports) {
        match (&imp.kind, ext) {
            (ImportKind::Func(t), VmExtern::Func(f)) => {
                if f.type_id() != module.type_ids[*t as usize] {
                    return Err(link_err(imp, "function types differ"));
                }
                import_funcs.push(f.clone());
            }
            (ImportKind::Table(tt), VmExtern::Table(t)) => {
                // Tables are invariant in their element type.
                if t.ty.elem != crate::types::canonical_val(tt.elem, &module.type_ids)
                    || t.ty.table64 != tt.table64
                    || !limits_match(u64::from(t.len()), t.ty.limits.max, &tt.limits)
                {
                    return Err(link_err(imp, "table types differ"));
                }
                tables.push(t.clone());
            }
            (ImportKind::Memory(mt), VmExtern::Memory(m)) => {
                if m.is_64() != mt.memory64 {
                    return Err(link_err(imp, "memory index types differ"));
                }
                // A shared memory matches only a shared import, and an unshared one only an
                // unshared import (the threads proposal's import matching).
                if m.is_shared() != mt.shared {
                    return Err(link_err(imp, "memory sharing differs"));
                }
                if !limits_match(m.pages(), m.declared_max(), &mt.limits) {
                    return Err(link_err(imp, "memory limits differ"));
                }
                memories.push(m.clone());
            }
            (ImportKind::Global(gt), VmExtern::Global(g)) => {
                // Immutable globals are covariant, mutable ones invariant.
                let want = crate::types::canonical_val(gt.ty, &module.type_ids);
                let have = g.ty();
                let fits = if gt.mutable {
                    have.ty == want
                } else {
                    have.ty.matches(want)
                };
                if have.mutable != gt.mutable || !fits {
                    return Err(link_err(imp, "global types differ"));
                }
                import_globals.push(g.clone());
            }
            (ImportKind::Tag(t), VmExtern::Tag(tag)) => {
                if tag.type_id != module.type_ids[*t as usize] {
                    return Err(link_err(imp, "tag types differ"));
                }
                tags.push(*tag);
            }
            _ => return Err(link_err(imp, "wrong kind of import")),
        }
    }
    // 2. Memories and tables.
    for mt in &info.memories[info.num_imported_memories as usize..] {
        let at = info.memory0_base.filter(|_| memories.is_empty());
        memories.push(Arc::new(
            LinearMemory::at(*mt, limits.max_memory, at).map_err(InstantiateError::Other)?,
        ));
    }
    // SANDBOX-CRITICAL: code compiled with memory 0's address built in accesses that address
    // whatever memory the instance has, so it must be exactly there.
    if let Some(want) = info.memory0_base {
        let have = memories.first().map(|m| m.base() as u64);
        if have != Some(want) {
            return Err(InstantiateError::Other(format!(
                "the module's code expects memory 0 at {want:#x}, but it is at {}: a module \
                 compiled with the address built in (`kiln compile`, `--memory-base=fixed`) \
                 has one instance per process, with its own memory",
                have.map_or("no address".to_string(), |a| format!("{a:#x}"))
            )));
        }
    }
    for tt in &info.tables[info.num_imported_tables as usize..] {
        // Canonical: the table may be exported and imported by another module.
        let mut tt = *tt;
        tt.elem = crate::types::canonical_val(tt.elem, &module.type_ids);
        tables.push(Rc::new(
            WasmTable::with_limit(tt, 0, limits.max_table_elements)
                .map_err(InstantiateError::Other)?,
        ));
    }
    for &t in &info.tags[info.num_imported_tags as usize..] {
        tags.push(crate::exceptions::new_tag(module.type_ids[t as usize]));
    }
    let tags = tags.into_boxed_slice();
    // 3. The vmctx and the arrays it points to.
    let ndef_globals = info.globals.len() - info.num_imported_globals as usize;
    let layout = Layout::from_size_align(GLOBAL_SLOT * (HEADER_SLOTS + ndef_globals), 16)
        .expect("small layout");
    // SAFETY: non-zero size.
    let vmctx = unsafe { alloc::alloc_zeroed(layout) }.cast::<VmCtx>();
    if vmctx.is_null() {
        alloc::handle_alloc_error(layout);
    }
    let nimp = info.num_imported_funcs as usize;
    let mut own: Vec<VmFuncRef> = Vec::with_capacity(module.funcs.len() + nimp);
    for (i, f) in module.funcs.iter().enumerate() {
        let ty = info.funcs[nimp + i] as usize;
        own.push(VmFuncRef {
            code: f.code,
            type_id: module.type_ids[ty],
            reserved: 0,
            vmctx,
        });
    }
    // A host import is called (directly or through its funcref) via the module's adapter
    // for it, which passes the call on to the host code in `imported_funcs[k].host_code`.
    let mut host_slots = Vec::new();
    for (k, f) in import_funcs.iter().enumerate() {
        if let Some((_, type_id)) = f.host_parts() {
            host_slots.push(own.len());
            own.push(VmFuncRef {
                code: module.import_adapters[k],
                type_id,
                reserved: 0,
                vmctx,
            });
        } else {
            host_slots.push(usize::MAX);
        }
    }
    let own = own.into_boxed_slice();
    let mut func_refs = Vec::with_capacity(info.funcs.len());
    let mut imported_funcs = Vec::with_capacity(nimp);
    for (k, f) in import_funcs.iter().enumerate() {
        let r: *const VmFuncRef = if host_slots[k] != usize::MAX {
            &own[host_slots[k]]
        } else {
            f.wasm_funcref()
        };
        func_refs.push(r);
        // SAFETY: `r` points to a live funcref (ours, or kept alive by `f`).
        let (code, ctx) = unsafe { ((*r).code, (*r).vmctx) };
        let host_code = f.host_parts().map_or(ptr::null(), |(host, _)| host);
        imported_funcs.push(VmImportedFunc {
            code,
            vmctx: ctx,
            host_code,
        });
    }
    for r in own.iter().take(module.funcs.len()) {
        func_refs.push(r as *const VmFuncRef);
    }
    let func_refs = func_refs.into_boxed_slice();
    let imported_funcs = imported_funcs.into_boxed_slice();
    let table_ptrs: Box<[*mut VmTable]> = tables.iter().map(|t| t.vm_ptr()).collect();
    let memory_ptrs: Box<[*mut VmMemory]> = memories.iter().map(|m| m.vm_ptr()).collect();
    let imported_globals: Box<[*mut ValRaw]> = import_globals.iter().map(|g| g.ptr()).collect();
    // SAFETY: `vmctx` is a fresh, zeroed allocation of the right size.
    unsafe {
        let v = &mut *vmctx;
        if let Some(m) = memories.first() {
            v.memory_base = m.base();
            v.memory = m.vm_ptr();
        }
        v.memories = memory_ptrs.as_ptr();
        v.tables = table_ptrs.as_ptr();
        v.imported_funcs = imported_funcs.as_ptr();
        v.func_refs = func_refs.as_ptr();
        v.type_ids = module.type_ids.as_ptr();
        v.imported_globals = imported_globals.as_ptr();
        v.tags = tags.as_ptr();
        // Fuel consumed counts up from minus the budget (unused by code compiled without
        // `--fuel`).
        v.fuel = limits
            .fuel
            .map_or(0, |n| -i64::try_from(n).unwrap_or(i64::MAX));
    }
    let inst = Rc::new_cyclic(|me| InstanceInner {
        module,
        vmctx,
        vmctx_layout: layout,
        memories,
        tables,
        _memory_ptrs: memory_ptrs,
        _table_ptrs: table_ptrs,
        _imported_funcs: imported_funcs,
        _own_funcrefs: own,
        func_refs,
        _imported_globals: imported_globals,
        tags,
        import_funcs,
        import_globals,
        elem_segments: UnsafeCell::new(Vec::new()),
        data_segments: UnsafeCell::new(None),
        host_state: UnsafeCell::new(host_state),
        started: Cell::new(false),
        me: me.clone(),
    });
    // SAFETY: the instance is pinned in its Arc from here on.
    unsafe { (*vmctx).host = Rc::as_ptr(&inst) as *mut _ };
    stack::register(vmctx);
    // Before the start function runs: a `--timeout` that runs out during it interrupts it.
    crate::interrupt::register(vmctx);
    initialise(&inst).map(|()| inst)
}

/// Globals, segments and the start function, in spec order.
fn initialise(inst: &Rc<InstanceInner>) -> Result<(), InstantiateError> {
    let info = &inst.module.info;
    let nimp_g = info.num_imported_globals as usize;
    for (def, g) in info.globals[nimp_g..].iter().enumerate() {
        let v = g.init.as_ref().map_or([0; 16], |e| inst.eval(e));
        // SAFETY: the slot lies in the vmctx allocation.
        unsafe { *inst.defined_global(def) = v };
    }
    // Tables with an initialiser (they may read the globals).
    let me = inst.as_any();
    for (index, init) in &info.table_inits {
        let value = inst.eval_ref(init);
        let table = inst.table(*index);
        table.elems().fill(value);
        if value != 0 && table.ty.elem.is_func_ref() {
            table.keep_alive(&me);
        }
    }
    // Element segments: evaluate every item now (they are values from here on).
    let mut elems = Vec::with_capacity(info.elements.len());
    for seg in &info.elements {
        let items = match seg.mode {
            SegmentMode::Declared => Vec::new(),
            _ => seg.items.iter().map(|e| inst.eval_ref(e)).collect(),
        };
        elems.push(items);
    }
    // SAFETY: no wasm has run yet; nothing else borrows the segments.
    unsafe { *inst.elem_segments.get() = elems };
    for (i, seg) in info.elements.iter().enumerate() {
        if let SegmentMode::Active { index, offset } = &seg.mode {
            let table = inst.table(*index);
            let dst = inst.eval_offset(offset, table.ty.table64);
            // SAFETY: single-threaded; the borrow ends before wasm runs.
            let items = unsafe { std::mem::take(&mut (&mut *inst.elem_segments.get())[i]) };
            let end = u128::from(dst) + items.len() as u128;
            if end > u128::from(table.len()) {
                return Err(InstantiateError::Trap(Trap::TableOutOfBounds));
            }
            let (dst, end) = (
                usize::try_from(dst).expect("dst <= table.len(), a u32"),
                usize::try_from(end).expect("end <= table.len(), a u32"),
            );
            table.elems()[dst..end].copy_from_slice(&items);
            if seg.elem.is_func_ref() && !items.is_empty() {
                table.keep_alive(&me);
            }
        }
    }
    if let (Some((image, offset)), Some(mem)) = (inst.module.image, inst.memory(0)) {
        // The compiler applied every active segment into the image (and checked bounds);
        // it makes one only for a module whose single memory is defined.
        mem.apply_image(image, offset);
    }
    // Active segments are in the image when there is one (their bytes are not in the
    // blob); else they are applied here, which decodes the segment list.
    let segments = match inst.module.image {
        Some(_) => &[][..],
        None => inst.module.data_segments(),
    };
    for (i, seg) in segments.iter().enumerate() {
        if let SegmentMode::Active { index, offset } = &seg.mode {
            let Some(mem) = inst.memory(*index) else {
                return Err(InstantiateError::Trap(Trap::MemoryOutOfBounds));
            };
            let dst = inst.eval_offset(offset, mem.is_64());
            // SAFETY: single-threaded, and the borrow of the data segments ends before any
            // wasm runs.
            let bytes = unsafe { std::mem::take(&mut inst.data_segments()[i]) };
            let end = u128::from(dst) + bytes.len() as u128;
            if end > u128::from(mem.byte_len()) {
                return Err(InstantiateError::Trap(Trap::MemoryOutOfBounds));
            }
            let dst = usize::try_from(dst).expect("below the memory's length, mapped here");
            // SAFETY: in bounds (checked); no other reference to the bytes is live.
            unsafe { ptr::copy_nonoverlapping(bytes.as_ptr(), mem.base().add(dst), bytes.len()) };
        }
    }
    if let Some(start) = info.start {
        match inst.call_start(start) {
            Ok(()) => {}
            Err(Caught::Trap { trap, .. }) => return Err(InstantiateError::Trap(trap)),
            Err(Caught::Exit(code)) => {
                return Err(InstantiateError::Other(format!(
                    "the start function exited with status {code}"
                )))
            }
            Err(Caught::Exception { .. }) => return Err(InstantiateError::Exception),
        }
    }
    Ok(())
}
