//! Every symbol name the compiled object defines or references.

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

/// Runtime builtins the compiled code calls directly. Each is an
/// `extern "C" fn(vmctx, ...)`; the ones that can fail return nonzero on failure and the
/// compiled code raises the trap. Arguments are `u32` unless stated.
pub mod builtin {
    /// `(vmctx, delta) -> old_pages`, or `u32::MAX` when the memory cannot grow.
    pub const MEMORY_GROW: &str = "kiln_rt_memory_grow";
    /// `(vmctx, dst, val, len) -> failed`
    pub const MEMORY_FILL: &str = "kiln_rt_memory_fill";
    /// `(vmctx, dst, src, len) -> failed`
    pub const MEMORY_COPY: &str = "kiln_rt_memory_copy";
    /// `(vmctx, segment, dst, src, len) -> failed`
    pub const MEMORY_INIT: &str = "kiln_rt_memory_init";
    /// `(vmctx, segment)`
    pub const DATA_DROP: &str = "kiln_rt_data_drop";
    /// `(vmctx, table, init: u64 (reference), delta) -> old_len`, or `u32::MAX`.
    pub const TABLE_GROW: &str = "kiln_rt_table_grow";
    /// `(vmctx, table, dst, val: u64 (reference), len) -> failed`
    pub const TABLE_FILL: &str = "kiln_rt_table_fill";
    /// `(vmctx, dst_table, src_table, dst, src, len) -> failed`
    pub const TABLE_COPY: &str = "kiln_rt_table_copy";
    /// `(vmctx, table, segment, dst, src, len) -> failed`
    pub const TABLE_INIT: &str = "kiln_rt_table_init";
    /// `(vmctx, segment)`
    pub const ELEM_DROP: &str = "kiln_rt_elem_drop";

    pub const ALL: [&str; 10] = [
        MEMORY_GROW,
        MEMORY_FILL,
        MEMORY_COPY,
        MEMORY_INIT,
        DATA_DROP,
        TABLE_GROW,
        TABLE_FILL,
        TABLE_COPY,
        TABLE_INIT,
        ELEM_DROP,
    ];
}
