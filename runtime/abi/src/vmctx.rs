//! The context every compiled function receives as its first argument.
//!
//! ```text
//!  vmctx ──► +0   memory_base      *mut u8          start of memory 0 (never moves)
//!            +8   memory           *mut VmMemory    memory 0: current length, shared with importers
//!            +16  stack_limit      usize            lowest native stack address wasm may use
//!            +24  tables           *const *mut VmTable       one per table index
//!            +32  imported_funcs   *const VmImportedFunc     one per imported function
//!            +40  func_refs        *const *const VmFuncRef   one per function index
//!            +48  type_ids         *const u32       canonical id of each type index
//!            +56  imported_globals *const *mut ValRaw        one per imported global
//!            +64  host             *mut c_void      runtime-private (instance pointer)
//!            +72  tags             *const *const VmTag       one per tag index
//!            +80  memories         *const *mut VmMemory      one per memory index (0 too)
//!            +88  interrupt        u64              non-zero: stop at the next check (--timeout)
//!            +96  fuel             i64              fuel consumed, from -N up; 0: none left (--fuel)
//!            +104 reserved         u64              0 (keeps the globals 16-byte aligned)
//!            +112 defined globals, 16 bytes each (ValRaw), in index order
//! ```
//!
//! Memory 0 is reached through the header's own two fields (one load from `vmctx` for its
//! base); every memory, memory 0 included, is also in `memories`. A [`VmMemory`]'s base
//! never moves, so compiled code loads each base once per function.
//!
//! The compiler uses only the `OFFSET_*` constants; the runtime allocates the context and
//! fills it. Fields are append-only; the test below pins the layout.

use core::ffi::c_void;

use crate::ValRaw;

pub const OFFSET_MEMORY_BASE: i32 = 0;
pub const OFFSET_MEMORY: i32 = 8;
pub const OFFSET_STACK_LIMIT: i32 = 16;
pub const OFFSET_TABLES: i32 = 24;
pub const OFFSET_IMPORTED_FUNCS: i32 = 32;
pub const OFFSET_FUNC_REFS: i32 = 40;
pub const OFFSET_TYPE_IDS: i32 = 48;
pub const OFFSET_IMPORTED_GLOBALS: i32 = 56;
pub const OFFSET_HOST: i32 = 64;
pub const OFFSET_TAGS: i32 = 72;
pub const OFFSET_MEMORIES: i32 = 80;
pub const OFFSET_INTERRUPT: i32 = 88;
pub const OFFSET_FUEL: i32 = 96;
/// Where the defined globals start; global `i` (counting defined globals only) is at
/// `OFFSET_DEFINED_GLOBALS + i * GLOBAL_SLOT_SIZE`.
pub const OFFSET_DEFINED_GLOBALS: i32 = 112;
pub const GLOBAL_SLOT_SIZE: i32 = 16;

/// A function whose frame is at most this many bytes skips the prologue's check against
/// `stack_limit` when it calls nothing, or calls only defined functions whose bodies call
/// no function (those are such leaves, or check themselves). The caller of an unchecked
/// function passed its check, so at most two unchecked frames, twice this, are ever below
/// the limit, inside the host margin the runtime keeps there.
pub const UNCHECKED_FRAME_MAX: u32 = 16 * 1024;

/// The fixed header of a context; defined globals follow it in the same allocation.
#[repr(C)]
pub struct VmCtx {
    pub memory_base: *mut u8,
    pub memory: *mut VmMemory,
    pub stack_limit: usize,
    pub tables: *const *mut VmTable,
    pub imported_funcs: *const VmImportedFunc,
    pub func_refs: *const *const VmFuncRef,
    pub type_ids: *const u32,
    pub imported_globals: *const *mut ValRaw,
    pub host: *mut c_void,
    pub tags: *const *const VmTag,
    pub memories: *const *mut VmMemory,
    /// Set (to non-zero, by another thread, atomically) when the program must stop: code
    /// compiled with `--timeout` loads it at every function entry and loop header and
    /// traps with `interrupt` when it is set.
    pub interrupt: u64,
    /// Fuel consumed (`--fuel N`): `-N` at instantiation, counting up; code compiled with
    /// `--fuel` keeps it in a register, stores it before calls and returns, and traps
    /// with `all fuel consumed by WebAssembly` at a check that finds it at 0 or above.
    pub fuel: i64,
    /// Zero; keeps the globals 16-byte aligned.
    pub reserved: u64,
}

/// A linear memory, shared by the instance that defines it and every importer.
#[repr(C)]
pub struct VmMemory {
    /// Start of the memory's reservation; fixed for the memory's life.
    pub base: *mut u8,
    /// Current accessible length in bytes (a multiple of the wasm page size).
    pub length: u64,
}
pub const OFFSET_VMMEMORY_BASE: i32 = 0;
pub const OFFSET_VMMEMORY_LENGTH: i32 = 8;

/// A table. Elements are 8 bytes: a `*const VmFuncRef` for `funcref` tables (null is
/// `ref.null`), an opaque non-zero handle for `externref` (zero is `ref.null`).
#[repr(C)]
pub struct VmTable {
    pub base: *mut u64,
    /// Current length in elements (a table of either index type has at most
    /// `u32::MAX` elements here; growth past that fails).
    pub length: u32,
    pub reserved: u32,
}
pub const OFFSET_VMTABLE_BASE: i32 = 0;
pub const OFFSET_VMTABLE_LENGTH: i32 = 8;

/// What a `funcref` points to: enough to call the function from anywhere. `code` has the
/// `tail` calling convention (for a host function imported by an instance: that
/// instance's adapter, with its `vmctx`).
#[repr(C)]
pub struct VmFuncRef {
    pub code: *const u8,
    /// The canonical id of the function's type; `call_indirect` compares it.
    pub type_id: u32,
    pub reserved: u32,
    pub vmctx: *mut VmCtx,
}
pub const OFFSET_VMFUNCREF_CODE: i32 = 0;
pub const OFFSET_VMFUNCREF_TYPE_ID: i32 = 8;
pub const OFFSET_VMFUNCREF_VMCTX: i32 = 16;

/// How an imported function is called: its code with its context. Wasm calls `code` with
/// the `tail` calling convention. For a wasm function of another instance that is its code
/// and `vmctx` its instance's; for a host function `code` is the importing module's
/// adapter for that import (`kiln_import_adapter_<index>`), `vmctx` the importer's, and
/// `host_code` the host's `extern "C" fn(vmctx, params...) -> results`, which the adapter
/// loads from here and calls. `host_code` is null for wasm functions.
#[repr(C)]
pub struct VmImportedFunc {
    pub code: *const u8,
    pub vmctx: *mut VmCtx,
    pub host_code: *const u8,
}
pub const OFFSET_VMIMPORTEDFUNC_CODE: i32 = 0;
pub const OFFSET_VMIMPORTEDFUNC_VMCTX: i32 = 8;
pub const OFFSET_VMIMPORTEDFUNC_HOST_CODE: i32 = 16;
pub const VMIMPORTEDFUNC_SIZE: i32 = 24;

/// A tag (exception handling). Its address is its identity: an imported tag is the
/// exporter's `VmTag`, so a `catch` matches an exception when `vmctx.tags[i]` is the
/// exception's `tag`. Tags are never freed (an exception may outlive its tag's instance).
#[repr(C)]
pub struct VmTag {
    /// The canonical id of the tag's function type (its parameters are the payload).
    pub type_id: u32,
    pub reserved: u32,
}

/// An exception object; an `exnref` points to one. Its payload values follow the header,
/// one `ValRaw` each (`OFFSET_VMEXN_VALUES + i * VMEXN_VALUE_SIZE`), as the tag's type
/// lists them. Allocated by the runtime (`kiln_rt_exn_new`), filled by compiled code.
#[repr(C)]
pub struct VmExn {
    pub tag: *const VmTag,
    pub num_values: u32,
    pub reserved: u32,
}
pub const OFFSET_VMEXN_TAG: i32 = 0;
pub const OFFSET_VMEXN_VALUES: i32 = 16;
pub const VMEXN_VALUE_SIZE: i32 = 16;

#[cfg(test)]
mod tests {
    use super::*;
    use core::mem::{offset_of, size_of};

    #[test]
    fn layout_matches_offsets() {
        assert_eq!(offset_of!(VmCtx, memory_base), OFFSET_MEMORY_BASE as usize);
        assert_eq!(offset_of!(VmCtx, memory), OFFSET_MEMORY as usize);
        assert_eq!(offset_of!(VmCtx, stack_limit), OFFSET_STACK_LIMIT as usize);
        assert_eq!(offset_of!(VmCtx, tables), OFFSET_TABLES as usize);
        assert_eq!(
            offset_of!(VmCtx, imported_funcs),
            OFFSET_IMPORTED_FUNCS as usize
        );
        assert_eq!(offset_of!(VmCtx, func_refs), OFFSET_FUNC_REFS as usize);
        assert_eq!(offset_of!(VmCtx, type_ids), OFFSET_TYPE_IDS as usize);
        assert_eq!(
            offset_of!(VmCtx, imported_globals),
            OFFSET_IMPORTED_GLOBALS as usize
        );
        assert_eq!(offset_of!(VmCtx, host), OFFSET_HOST as usize);
        assert_eq!(offset_of!(VmCtx, tags), OFFSET_TAGS as usize);
        assert_eq!(offset_of!(VmExn, tag), OFFSET_VMEXN_TAG as usize);
        assert_eq!(size_of::<VmExn>(), OFFSET_VMEXN_VALUES as usize);
        assert_eq!(size_of::<ValRaw>(), VMEXN_VALUE_SIZE as usize);
        assert_eq!(offset_of!(VmCtx, memories), OFFSET_MEMORIES as usize);
        assert_eq!(offset_of!(VmCtx, interrupt), OFFSET_INTERRUPT as usize);
        assert_eq!(offset_of!(VmCtx, fuel), OFFSET_FUEL as usize);
        assert_eq!(size_of::<VmCtx>(), OFFSET_DEFINED_GLOBALS as usize);
        assert_eq!(size_of::<ValRaw>(), GLOBAL_SLOT_SIZE as usize);
        assert_eq!(offset_of!(VmMemory, base), OFFSET_VMMEMORY_BASE as usize);
        assert_eq!(
            offset_of!(VmMemory, length),
            OFFSET_VMMEMORY_LENGTH as usize
        );
        assert_eq!(offset_of!(VmTable, base), OFFSET_VMTABLE_BASE as usize);
        assert_eq!(offset_of!(VmTable, length), OFFSET_VMTABLE_LENGTH as usize);
        assert_eq!(offset_of!(VmFuncRef, code), OFFSET_VMFUNCREF_CODE as usize);
        assert_eq!(
            offset_of!(VmFuncRef, type_id),
            OFFSET_VMFUNCREF_TYPE_ID as usize
        );
        assert_eq!(
            offset_of!(VmFuncRef, vmctx),
            OFFSET_VMFUNCREF_VMCTX as usize
        );
        assert_eq!(
            offset_of!(VmImportedFunc, code),
            OFFSET_VMIMPORTEDFUNC_CODE as usize
        );
        assert_eq!(
            offset_of!(VmImportedFunc, vmctx),
            OFFSET_VMIMPORTEDFUNC_VMCTX as usize
        );
        assert_eq!(
            offset_of!(VmImportedFunc, host_code),
            OFFSET_VMIMPORTEDFUNC_HOST_CODE as usize
        );
        assert_eq!(size_of::<VmImportedFunc>(), VMIMPORTEDFUNC_SIZE as usize);
    }
}
