//! The module descriptor: the one data object (symbol [`crate::symbols::MODULE_DESCRIPTOR`])
//! through which the runtime finds everything the compiler produced.
//!
//! ```text
//! kiln_module: ModuleDescriptor
//!   ├─ info ──────► postcard-encoded crate::info::ModuleInfo (types, imports, exports,
//!   │                globals, tables, memory, segments, names)
//!   ├─ data ──────► bytes of all data segments, back to back (segments index into it)
//!   ├─ funcs ─────► [FuncEntry; defined functions], in function index order
//!   ├─ trap_sites ► [TrapSite], grouped per function, sorted by code offset
//!   ├─ addr_map ──► [AddrMapEntry], grouped per function, sorted by code offset
//!   ├─ config ────► postcard-encoded crate::info::RunConfig (compile-time grants)
//!   └─ image ─────► the initial contents of linear memory from `image_offset` on, when
//!                   every active data segment could be applied at compile time; page
//!                   aligned and padded to whole pages (see [`IMAGE_ALIGN`])
//! ```

/// "KILN" + ABI version; bumped whenever any layout in this crate changes.
pub const MAGIC: u64 = u64::from_le_bytes(*b"KILN\0\0\0\x03");

#[repr(C)]
pub struct ModuleDescriptor {
    pub magic: u64,
    pub info: *const u8,
    pub info_len: usize,
    pub data: *const u8,
    pub data_len: usize,
    pub funcs: *const FuncEntry,
    pub num_funcs: usize,
    pub trap_sites: *const TrapSite,
    pub num_trap_sites: usize,
    pub addr_map: *const AddrMapEntry,
    pub num_addr_map: usize,
    pub config: *const u8,
    pub config_len: usize,
    /// Initial memory contents (null when the runtime must apply the active data segments
    /// itself). When present, the active data segments are already in it and the runtime
    /// must not apply them again; it maps or copies the image to `memory + image_offset`.
    pub image: *const u8,
    pub image_len: usize,
    pub image_offset: u64,
}

/// Alignment and size granule of the memory image: a host page, so that an executable can
/// map its image into linear memory copy-on-write instead of copying it.
pub const IMAGE_ALIGN: u64 = 4096;
/// Byte offsets of the pointer fields, for the compiler's relocations.
pub const DESC_OFFSET_INFO: u32 = 8;
pub const DESC_OFFSET_DATA: u32 = 24;
pub const DESC_OFFSET_FUNCS: u32 = 40;
pub const DESC_OFFSET_TRAP_SITES: u32 = 56;
pub const DESC_OFFSET_ADDR_MAP: u32 = 72;
pub const DESC_OFFSET_CONFIG: u32 = 88;
pub const DESC_OFFSET_IMAGE: u32 = 104;
pub const DESC_OFFSET_IMAGE_OFFSET: u32 = 120;
pub const DESC_SIZE: usize = 128;

/// One defined function's machine code and metadata.
#[repr(C)]
pub struct FuncEntry {
    pub code: *const u8,
    /// The array-call trampoline, or null when the function is neither exported nor the
    /// start function.
    pub trampoline: *const u8,
    pub code_len: u32,
    pub trap_sites_start: u32,
    pub trap_sites_len: u32,
    pub addr_map_start: u32,
    pub addr_map_len: u32,
    pub reserved: u32,
}
pub const FUNC_ENTRY_OFFSET_CODE: u32 = 0;
pub const FUNC_ENTRY_OFFSET_TRAMPOLINE: u32 = 8;
pub const FUNC_ENTRY_SIZE: usize = 40;

/// A machine instruction that can trap, with the wasm bytecode offset it came from.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TrapSite {
    /// Offset from the start of the function's code.
    pub code_offset: u32,
    /// Offset in the wasm binary (module-relative).
    pub wasm_offset: u32,
    /// A [`crate::Trap`] discriminant.
    pub trap: u8,
    pub reserved: [u8; 3],
}
pub const TRAP_SITE_SIZE: usize = 12;

/// Start of a run of machine code that came from the wasm instruction at `wasm_offset`;
/// it lasts until the next entry. Used to place return addresses in backtraces.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AddrMapEntry {
    pub code_offset: u32,
    pub wasm_offset: u32,
}
pub const ADDR_MAP_ENTRY_SIZE: usize = 8;

impl TrapSite {
    pub fn to_bytes(self) -> [u8; TRAP_SITE_SIZE] {
        let mut b = [0u8; TRAP_SITE_SIZE];
        b[0..4].copy_from_slice(&self.code_offset.to_le_bytes());
        b[4..8].copy_from_slice(&self.wasm_offset.to_le_bytes());
        b[8] = self.trap;
        b
    }
}

impl AddrMapEntry {
    pub fn to_bytes(self) -> [u8; ADDR_MAP_ENTRY_SIZE] {
        let mut b = [0u8; ADDR_MAP_ENTRY_SIZE];
        b[0..4].copy_from_slice(&self.code_offset.to_le_bytes());
        b[4..8].copy_from_slice(&self.wasm_offset.to_le_bytes());
        b
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use core::mem::{offset_of, size_of};

    #[test]
    fn layout_matches_offsets() {
        assert_eq!(
            offset_of!(ModuleDescriptor, info),
            DESC_OFFSET_INFO as usize
        );
        assert_eq!(
            offset_of!(ModuleDescriptor, data),
            DESC_OFFSET_DATA as usize
        );
        assert_eq!(
            offset_of!(ModuleDescriptor, funcs),
            DESC_OFFSET_FUNCS as usize
        );
        assert_eq!(
            offset_of!(ModuleDescriptor, trap_sites),
            DESC_OFFSET_TRAP_SITES as usize
        );
        assert_eq!(
            offset_of!(ModuleDescriptor, addr_map),
            DESC_OFFSET_ADDR_MAP as usize
        );
        assert_eq!(
            offset_of!(ModuleDescriptor, config),
            DESC_OFFSET_CONFIG as usize
        );
        assert_eq!(
            offset_of!(ModuleDescriptor, image),
            DESC_OFFSET_IMAGE as usize
        );
        assert_eq!(
            offset_of!(ModuleDescriptor, image_offset),
            DESC_OFFSET_IMAGE_OFFSET as usize
        );
        assert_eq!(size_of::<ModuleDescriptor>(), DESC_SIZE);
        assert_eq!(offset_of!(FuncEntry, code), FUNC_ENTRY_OFFSET_CODE as usize);
        assert_eq!(
            offset_of!(FuncEntry, trampoline),
            FUNC_ENTRY_OFFSET_TRAMPOLINE as usize
        );
        assert_eq!(offset_of!(FuncEntry, code_len), 16);
        assert_eq!(offset_of!(FuncEntry, trap_sites_start), 20);
        assert_eq!(offset_of!(FuncEntry, trap_sites_len), 24);
        assert_eq!(offset_of!(FuncEntry, addr_map_start), 28);
        assert_eq!(offset_of!(FuncEntry, addr_map_len), 32);
        assert_eq!(size_of::<FuncEntry>(), FUNC_ENTRY_SIZE);
        assert_eq!(size_of::<TrapSite>(), TRAP_SITE_SIZE);
        assert_eq!(size_of::<AddrMapEntry>(), ADDR_MAP_ENTRY_SIZE);
    }
}
