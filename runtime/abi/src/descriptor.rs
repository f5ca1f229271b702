//! The module descriptor: the one data object (symbol [`crate::symbols::MODULE_DESCRIPTOR`])
//! through which the runtime finds everything the compiler produced.
//!
//! ```text
//! kiln_module: ModuleDescriptor
//!   ├─ info ──────► postcard-encoded crate::info::ModuleInfo (types, imports, exports,
//!   │                globals, tables, memories, element segments), decoded at start-up
//!   ├─ segments ──► postcard-encoded data segments (ModuleInfo::encode_segments), decoded
//!   │                only when used (no memory image, memory.init, data.drop)
//!   ├─ names ─────► postcard-encoded function names and source lines
//!   │                (ModuleInfo::encode_names), decoded only for a trap report
//!   ├─ data ──────► bytes of all data segments, back to back (segments index into it)
//!   ├─ funcs ─────► [FuncEntry; defined functions], in function index order
//!   ├─ trap_sites ► compact trap sites (below), grouped per function, by code offset
//!   ├─ addr_map ──► compact address map (below), grouped per function, by code offset
//!   ├─ call_sites ► [CallSite]: calls with exception handlers, grouped per function,
//!   │                sorted by return address
//!   ├─ handlers ──► [Handler], each call site's in match order
//!   ├─ config ────► postcard-encoded crate::info::RunConfig (compile-time grants)
//!   ├─ image ─────► the initial contents of linear memory from `image_offset` on, when
//!   │                every active data segment could be applied at compile time; page
//!   │                aligned and padded to whole pages of the target's largest page size
//!   │                ([`crate::target::Arch::image_align`])
//!   └─ import_adapters ► [code pointer; imported functions]: the `tail`-convention adapter
//!                   that calls imported function `i` when it is a host function
//!                   (see [`crate::vmctx::VmImportedFunc`])
//! ```
//!
//! # One encoder, one decoder
//!
//! The binary records (the descriptor itself, [`FuncEntry`], [`TrapSite`], [`AddrMapEntry`],
//! [`CallSite`], [`Handler`])
//! are `#[repr(C)]` structs. The runtime reads them in place, with no decoding step at
//! start-up: [`ModuleDescriptor::sections`] checks the magic and turns each pointer/length
//! pair into a slice, and [`FuncTable`] answers the lookups the trap handler makes. The
//! compiler writes them with [`FuncTableEncoder`] and [`DescriptorEncoder`], which place
//! each field at its `offset_of!` and leave pointer fields zero, listing them as
//! [`PointerField`]s for the object writer to relocate. No offset is computed by hand on
//! either side; the tests at the end pin the byte layout (changing it means bumping
//! [`MAGIC`]).
//!
//! Fields are little-endian and pointers 64-bit: every target Kiln compiles for (x86-64
//! and AArch64 Linux) is, so the compiler's `offset_of!` is the target's.
//!
//! # Compact trap sites and address map
//!
//! Every load and store is a trap site (the guard pages fault), so these two tables are
//! most of a descriptor: a big module has a hundred thousand sites. Each is stored as a
//! delta from the previous entry of the same function (the first from code offset 0 and
//! wasm offset 0), as unsigned LEB128 numbers, so a site takes 2–4 bytes instead of a
//! 12-byte record:
//!
//! - trap site: `code_delta << 5 | trap` (a [`crate::Trap`] discriminant, below 32), then
//!   the zigzag-encoded wasm offset delta;
//! - address-map entry: `code_delta << 1 | inlined`, then the zigzag-encoded wasm offset
//!   delta; when `inlined` is 1, the call was made by a function inlined at that wasm
//!   offset, and the index of that function and the wasm offset of the call in it follow
//!   (two more unsigned LEB128 numbers, absolute: see [`InlinedFrame`]).
//!
//! A [`FuncEntry`] gives the byte offset of its function's first entry and the number of
//! entries. Lookups decode one function's entries in order: a trap report or an unwinder
//! needs a few, and decoding needs no allocation, so the signal handler may do it.

use alloc::vec::Vec;
use core::mem::{offset_of, size_of};

const _: () = assert!(
    size_of::<usize>() == 8 && cfg!(target_endian = "little"),
    "the descriptor layout is that of a 64-bit little-endian target"
);

/// "KILN" + ABI version; bumped whenever any layout or builtin signature in this crate
/// changes.
pub const MAGIC: u64 = u64::from_le_bytes(*b"KILN\0\0\0\x0b");

#[repr(C)]
pub struct ModuleDescriptor {
    pub magic: u64,
    pub info: *const u8,
    pub info_len: usize,
    pub segments: *const u8,
    pub segments_len: usize,
    pub names: *const u8,
    pub names_len: usize,
    pub data: *const u8,
    pub data_len: usize,
    pub funcs: *const FuncEntry,
    pub num_funcs: usize,
    /// Compact trap sites (see the module documentation), `trap_sites_len` bytes.
    pub trap_sites: *const u8,
    pub trap_sites_len: usize,
    /// Compact address map, `addr_map_len` bytes.
    pub addr_map: *const u8,
    pub addr_map_len: usize,
    pub call_sites: *const CallSite,
    pub num_call_sites: usize,
    pub handlers: *const Handler,
    pub num_handlers: usize,
    pub config: *const u8,
    pub config_len: usize,
    /// Initial memory contents (null when the runtime must apply the active data segments
    /// itself). When present, the active data segments are already in it and the runtime
    /// must not apply them again; it maps or copies the image to `memory + image_offset`.
    pub image: *const u8,
    pub image_len: usize,
    pub image_offset: u64,
    /// One code pointer per imported function: its host adapter.
    pub import_adapters: *const *const u8,
    pub num_import_adapters: usize,
}

/// One defined function's machine code and metadata.
#[repr(C)]
pub struct FuncEntry {
    pub code: *const u8,
    /// The array-call trampoline, or null when the function is neither exported nor the
    /// start function.
    pub trampoline: *const u8,
    pub code_len: u32,
    /// Byte offset of the function's first compact trap site, and how many it has.
    pub trap_sites_start: u32,
    pub trap_sites_len: u32,
    /// Byte offset of the function's first compact address-map entry, and how many.
    pub addr_map_start: u32,
    pub addr_map_len: u32,
    pub call_sites_start: u32,
    pub call_sites_len: u32,
    pub reserved: u32,
}

/// A machine instruction that can trap, with the wasm bytecode offset it came from
/// (stored compactly: see the module documentation).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TrapSite {
    /// Offset from the start of the function's code.
    pub code_offset: u32,
    /// Offset in the wasm binary (module-relative).
    pub wasm_offset: u32,
    /// A [`crate::Trap`] discriminant.
    pub trap: u8,
}

/// Start of a run of machine code that came from the wasm instruction at `wasm_offset`;
/// it lasts until the next entry. Used to place return addresses in backtraces. Stored
/// compactly.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AddrMapEntry {
    pub code_offset: u32,
    pub wasm_offset: u32,
    /// For a call made by a function the compiler inlined at `wasm_offset`: that function
    /// and where in it the call is. A backtrace shows it as a frame of its own, between
    /// the callee and this entry's function, as if it had not been inlined.
    pub inlined: Option<InlinedFrame>,
}

/// The frame of an inlined function at a call it makes (see [`AddrMapEntry::inlined`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct InlinedFrame {
    /// Function index (module index space: imports first).
    pub func_index: u32,
    /// Offset of the call in the wasm binary (module-relative).
    pub wasm_offset: u32,
}

/// A call with exception handlers (made inside a `try_table` or a legacy `try` body), found
/// by the unwinder from the return address of a frame. Its handlers are
/// `handlers[handlers_start..][..handlers_len]`, tried in order.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CallSite {
    /// The return address's offset from the start of the function's code.
    pub ret_offset: u32,
    /// From the frame pointer down to the stack pointer at the call: a handler runs with
    /// `sp = fp - frame_offset`.
    pub frame_offset: u32,
    /// Where the calling function's vmctx is saved, as an offset from that `sp`; tags in
    /// the handlers are tag indices of that instance.
    pub context_offset: u32,
    pub handlers_start: u32,
    pub handlers_len: u32,
    pub reserved: u32,
}

/// One exception handler of a [`CallSite`].
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Handler {
    /// The handler's offset from the start of the function's code.
    pub target_offset: u32,
    /// The tag index it catches (in the instance of the call site's context), or
    /// [`Handler::CATCH_ALL`].
    pub tag: u32,
}

impl Handler {
    /// The `tag` of a handler that catches every exception.
    pub const CATCH_ALL: u32 = u32::MAX;
}

/// Alignment of every record array and of the descriptor (their largest field).
pub const RECORD_ALIGN: u64 = 8;

// ---------------------------------------------------------------------------------------
// Encoding (the compiler's side)

/// A pointer field an encoder left zero, at `offset` in its bytes: the object writer puts
/// an absolute relocation to `target` there.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PointerField<T> {
    pub offset: u32,
    pub target: T,
}

/// Encoded records: their bytes, and the pointer fields still to relocate.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Encoded<T> {
    pub bytes: Vec<u8>,
    pub pointers: Vec<PointerField<T>>,
}

impl<T> Default for Encoded<T> {
    fn default() -> Self {
        Encoded {
            bytes: Vec::new(),
            pointers: Vec::new(),
        }
    }
}

/// What a [`FuncEntry`]'s pointer fields point at, by defined-function index.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FuncPointer {
    Code(u32),
    Trampoline(u32),
}

/// What a [`ModuleDescriptor`]'s pointer fields point at: the section data objects.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Section {
    Info,
    Segments,
    Names,
    Data,
    Funcs,
    TrapSites,
    AddrMap,
    CallSites,
    Handlers,
    Config,
    Image,
    ImportAdapters,
}

/// Writes `value` at `offset` (an `offset_of!`) in the record that starts at `base`.
fn put(bytes: &mut [u8], base: usize, offset: usize, value: &[u8]) {
    bytes[base + offset..base + offset + value.len()].copy_from_slice(value);
}

/// The import-adapter array: `n` code pointers, pointer field `i` to relocate to the
/// adapter of imported function `i`.
pub fn encode_import_adapters(n: u32) -> Encoded<u32> {
    let size = size_of::<*const u8>();
    Encoded {
        bytes: alloc::vec![0; n as usize * size],
        pointers: (0..n)
            .map(|i| PointerField {
                offset: count(i as usize * size),
                target: i,
            })
            .collect(),
    }
}

/// Appends one zeroed record of type `T` to `bytes`; returns where it starts.
fn append_record<T>(bytes: &mut Vec<u8>) -> usize {
    let base = bytes.len();
    bytes.resize(base + size_of::<T>(), 0);
    base
}

/// `n` as a record-array index or count; the tables use `u32`.
fn count(n: usize) -> u32 {
    u32::try_from(n).expect("fewer than 2^32 records")
}

/// Builds the function table and the trap-site and address-map arrays it indexes, one
/// defined function at a time, in function index order.
#[derive(Default)]
pub struct FuncTableEncoder {
    funcs: Encoded<FuncPointer>,
    trap_sites: Vec<u8>,
    addr_map: Vec<u8>,
    call_sites: Vec<u8>,
    handlers: Vec<u8>,
    num_funcs: u32,
    num_call_sites: u32,
    num_handlers: u32,
}

/// The function table's three arrays, ready to be placed as data objects.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EncodedFuncTable {
    /// `[FuncEntry]`, with its code and trampoline pointers to relocate.
    pub funcs: Encoded<FuncPointer>,
    pub num_funcs: usize,
    /// Compact trap sites.
    pub trap_sites: Vec<u8>,
    /// Compact address map.
    pub addr_map: Vec<u8>,
    /// `[CallSite]`
    pub call_sites: Vec<u8>,
    pub num_call_sites: usize,
    /// `[Handler]`
    pub handlers: Vec<u8>,
    pub num_handlers: usize,
}

impl FuncTableEncoder {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds the next defined function: `code_len` bytes of code, an array-call trampoline
    /// or not, its trap sites and address map (each sorted by code offset), and its call
    /// sites with exception handlers (sorted by return address; each site's
    /// `handlers_start` indexes `handlers`, the function's own handlers).
    pub fn push(
        &mut self,
        code_len: u32,
        has_trampoline: bool,
        trap_sites: &[TrapSite],
        addr_map: &[AddrMapEntry],
        call_sites: &[CallSite],
        handlers: &[Handler],
    ) {
        let def = self.num_funcs;
        let base = append_record::<FuncEntry>(&mut self.funcs.bytes);
        let at = |offset: usize| count(base + offset);
        self.funcs.pointers.push(PointerField {
            offset: at(offset_of!(FuncEntry, code)),
            target: FuncPointer::Code(def),
        });
        if has_trampoline {
            self.funcs.pointers.push(PointerField {
                offset: at(offset_of!(FuncEntry, trampoline)),
                target: FuncPointer::Trampoline(def),
            });
        }
        let b = &mut self.funcs.bytes;
        put(
            b,
            base,
            offset_of!(FuncEntry, code_len),
            &code_len.to_le_bytes(),
        );
        for (offset, value) in [
            (
                offset_of!(FuncEntry, trap_sites_start),
                count(self.trap_sites.len()),
            ),
            (
                offset_of!(FuncEntry, trap_sites_len),
                count(trap_sites.len()),
            ),
            (
                offset_of!(FuncEntry, addr_map_start),
                count(self.addr_map.len()),
            ),
            (offset_of!(FuncEntry, addr_map_len), count(addr_map.len())),
            (offset_of!(FuncEntry, call_sites_start), self.num_call_sites),
            (
                offset_of!(FuncEntry, call_sites_len),
                count(call_sites.len()),
            ),
        ] {
            put(b, base, offset, &value.to_le_bytes());
        }
        let mut cursor = Cursor::default();
        for site in trap_sites {
            assert!(u32::from(site.trap) < 1 << TRAP_BITS, "a Trap discriminant");
            let (code, wasm) = (site.code_offset, site.wasm_offset);
            cursor.put(&mut self.trap_sites, code, wasm, site.trap, TRAP_BITS);
        }
        let mut cursor = Cursor::default();
        for entry in addr_map {
            let (code, wasm) = (entry.code_offset, entry.wasm_offset);
            let inlined = u8::from(entry.inlined.is_some());
            cursor.put(&mut self.addr_map, code, wasm, inlined, INLINED_BITS);
            if let Some(frame) = entry.inlined {
                put_uleb(&mut self.addr_map, u64::from(frame.func_index));
                put_uleb(&mut self.addr_map, u64::from(frame.wasm_offset));
            }
        }
        for site in call_sites {
            let global = CallSite {
                handlers_start: self.num_handlers + site.handlers_start,
                ..*site
            };
            global.encode_into(&mut self.call_sites);
        }
        for handler in handlers {
            handler.encode_into(&mut self.handlers);
        }
        self.num_funcs += 1;
        self.num_call_sites += count(call_sites.len());
        self.num_handlers += count(handlers.len());
    }

    pub fn finish(self) -> EncodedFuncTable {
        EncodedFuncTable {
            funcs: self.funcs,
            num_funcs: self.num_funcs as usize,
            trap_sites: self.trap_sites,
            addr_map: self.addr_map,
            call_sites: self.call_sites,
            num_call_sites: self.num_call_sites as usize,
            handlers: self.handlers,
            num_handlers: self.num_handlers as usize,
        }
    }
}

/// Bits of a compact trap site's first number that hold the trap code.
const TRAP_BITS: u32 = 5;
const _: () = assert!(crate::Trap::ALL.len() < 1 << TRAP_BITS);
/// Bits of a compact address-map entry's first number that flag an inlined frame.
const INLINED_BITS: u32 = 1;

/// Appends `v` in unsigned LEB128 (also the names section's encoding, `info.rs`).
pub(crate) fn put_uleb(out: &mut Vec<u8>, mut v: u64) {
    loop {
        let byte = (v & 0x7f) as u8;
        v >>= 7;
        if v == 0 {
            out.push(byte);
            return;
        }
        out.push(byte | 0x80);
    }
}

/// One unsigned LEB128 number from the front of `bytes`; `None` when it is cut short or
/// longer than 64 bits.
fn get_uleb(bytes: &mut &[u8]) -> Option<u64> {
    let mut v = 0u64;
    for shift in (0..64).step_by(7) {
        let (&b, rest) = bytes.split_first()?;
        *bytes = rest;
        v |= u64::from(b & 0x7f) << shift;
        if b & 0x80 == 0 {
            return Some(v);
        }
    }
    None
}

fn zigzag(d: i64) -> u64 {
    ((d << 1) ^ (d >> 63)) as u64
}

fn unzigzag(v: u64) -> i64 {
    // Reinterpreting the bits is the point of zigzag decoding.
    (v >> 1) as i64 ^ -((v & 1) as i64)
}

/// The running (code offset, wasm offset) of a function's compact entries.
#[derive(Clone, Copy, Default)]
struct Cursor {
    code: u32,
    wasm: u32,
}

impl Cursor {
    /// Appends an entry at `code`/`wasm` with `tag` in the low `tag_bits` of the code delta.
    fn put(&mut self, out: &mut Vec<u8>, code: u32, wasm: u32, tag: u8, tag_bits: u32) {
        let delta = code
            .checked_sub(self.code)
            .expect("entries are sorted by code offset");
        put_uleb(out, u64::from(delta) << tag_bits | u64::from(tag));
        put_uleb(out, zigzag(i64::from(wasm) - i64::from(self.wasm)));
        *self = Cursor { code, wasm };
    }

    /// Reads the next entry: (code offset, wasm offset, tag); `None` on malformed bytes.
    fn get(&mut self, bytes: &mut &[u8], tag_bits: u32) -> Option<(u32, u32, u8)> {
        let first = get_uleb(bytes)?;
        let wasm_delta = unzigzag(get_uleb(bytes)?);
        let tag = u8::try_from(first & ((1 << tag_bits) - 1)).ok()?;
        let code = u64::from(self.code).checked_add(first >> tag_bits)?;
        let wasm = i64::from(self.wasm).checked_add(wasm_delta)?;
        *self = Cursor {
            code: u32::try_from(code).ok()?,
            wasm: u32::try_from(wasm).ok()?,
        };
        Some((self.code, self.wasm, tag))
    }
}

impl CallSite {
    fn encode_into(&self, bytes: &mut Vec<u8>) {
        let base = append_record::<CallSite>(bytes);
        for (offset, value) in [
            (offset_of!(CallSite, ret_offset), self.ret_offset),
            (offset_of!(CallSite, frame_offset), self.frame_offset),
            (offset_of!(CallSite, context_offset), self.context_offset),
            (offset_of!(CallSite, handlers_start), self.handlers_start),
            (offset_of!(CallSite, handlers_len), self.handlers_len),
        ] {
            put(bytes, base, offset, &value.to_le_bytes());
        }
    }
}

impl Handler {
    fn encode_into(&self, bytes: &mut Vec<u8>) {
        let base = append_record::<Handler>(bytes);
        let target = self.target_offset.to_le_bytes();
        put(bytes, base, offset_of!(Handler, target_offset), &target);
        put(
            bytes,
            base,
            offset_of!(Handler, tag),
            &self.tag.to_le_bytes(),
        );
    }
}

/// The descriptor's contents apart from its pointers: the length (or count) of each
/// section, and where the memory image goes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DescriptorEncoder {
    pub info_len: usize,
    pub segments_len: usize,
    pub names_len: usize,
    pub data_len: usize,
    pub num_funcs: usize,
    pub trap_sites_len: usize,
    pub addr_map_len: usize,
    pub num_call_sites: usize,
    pub num_handlers: usize,
    pub config_len: usize,
    /// `(image_len, image_offset)`, when the module has a memory image.
    pub image: Option<(usize, u64)>,
    pub num_import_adapters: usize,
}

impl DescriptorEncoder {
    /// The descriptor's bytes, with a pointer field to relocate for each section.
    pub fn encode(&self) -> Encoded<Section> {
        let mut bytes = Vec::new();
        let base = append_record::<ModuleDescriptor>(&mut bytes);
        put(
            &mut bytes,
            base,
            offset_of!(ModuleDescriptor, magic),
            &MAGIC.to_le_bytes(),
        );
        let mut pointers = Vec::new();
        let image_len = self.image.map_or(0, |(len, _)| len);
        for (section, pointer, len, present) in [
            (
                Section::Info,
                offset_of!(ModuleDescriptor, info),
                (offset_of!(ModuleDescriptor, info_len), self.info_len),
                true,
            ),
            (
                Section::Segments,
                offset_of!(ModuleDescriptor, segments),
                (
                    offset_of!(ModuleDescriptor, segments_len),
                    self.segments_len,
                ),
                true,
            ),
            (
                Section::Names,
                offset_of!(ModuleDescriptor, names),
                (offset_of!(ModuleDescriptor, names_len), self.names_len),
                true,
            ),
            (
                Section::Data,
                offset_of!(ModuleDescriptor, data),
                (offset_of!(ModuleDescriptor, data_len), self.data_len),
                true,
            ),
            (
                Section::Funcs,
                offset_of!(ModuleDescriptor, funcs),
                (offset_of!(ModuleDescriptor, num_funcs), self.num_funcs),
                true,
            ),
            (
                Section::TrapSites,
                offset_of!(ModuleDescriptor, trap_sites),
                (
                    offset_of!(ModuleDescriptor, trap_sites_len),
                    self.trap_sites_len,
                ),
                true,
            ),
            (
                Section::AddrMap,
                offset_of!(ModuleDescriptor, addr_map),
                (
                    offset_of!(ModuleDescriptor, addr_map_len),
                    self.addr_map_len,
                ),
                true,
            ),
            (
                Section::CallSites,
                offset_of!(ModuleDescriptor, call_sites),
                (
                    offset_of!(ModuleDescriptor, num_call_sites),
                    self.num_call_sites,
                ),
                true,
            ),
            (
                Section::Handlers,
                offset_of!(ModuleDescriptor, handlers),
                (
                    offset_of!(ModuleDescriptor, num_handlers),
                    self.num_handlers,
                ),
                true,
            ),
            (
                Section::Config,
                offset_of!(ModuleDescriptor, config),
                (offset_of!(ModuleDescriptor, config_len), self.config_len),
                true,
            ),
            (
                Section::Image,
                offset_of!(ModuleDescriptor, image),
                (offset_of!(ModuleDescriptor, image_len), image_len),
                self.image.is_some(),
            ),
            (
                Section::ImportAdapters,
                offset_of!(ModuleDescriptor, import_adapters),
                (
                    offset_of!(ModuleDescriptor, num_import_adapters),
                    self.num_import_adapters,
                ),
                self.num_import_adapters != 0,
            ),
        ] {
            if !present {
                continue;
            }
            pointers.push(PointerField {
                offset: count(base + pointer),
                target: section,
            });
            let (len_offset, len) = len;
            put(&mut bytes, base, len_offset, &(len as u64).to_le_bytes());
        }
        if let Some((_, image_offset)) = self.image {
            let at = offset_of!(ModuleDescriptor, image_offset);
            put(&mut bytes, base, at, &image_offset.to_le_bytes());
        }
        Encoded { bytes, pointers }
    }
}

// ---------------------------------------------------------------------------------------
// Decoding (the runtime's side): in place, nothing copied.

/// A descriptor the runtime cannot use.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DescriptorError {
    Null,
    /// Compiled by a compiler with another ABI version.
    Magic(u64),
    /// A function's trap sites, address map, call sites or handlers reach past their
    /// array.
    FuncTableOutOfRange,
}

impl core::fmt::Display for DescriptorError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            DescriptorError::Null => f.write_str("null module descriptor"),
            DescriptorError::Magic(magic) => write!(
                f,
                "module descriptor has magic {magic:#x}, this runtime expects {MAGIC:#x} \
                 (compiler and runtime versions differ)"
            ),
            DescriptorError::FuncTableOutOfRange => {
                f.write_str("descriptor trap sites, address map or call sites out of range")
            }
        }
    }
}

/// The sections of a descriptor, as slices of the executable's own data.
#[derive(Clone, Copy)]
pub struct Sections<'a> {
    /// Postcard-encoded [`crate::info::ModuleInfo`] ([`crate::info::ModuleInfo::decode`]).
    pub info: &'a [u8],
    /// Postcard-encoded data segments ([`crate::info::ModuleInfo::decode_segments`]).
    pub segments: &'a [u8],
    /// Postcard-encoded names ([`crate::info::ModuleInfo::decode_names`]).
    pub names: &'a [u8],
    pub data: &'a [u8],
    /// Postcard-encoded [`crate::info::RunConfig`] (empty: the default).
    pub config: &'a [u8],
    pub funcs: FuncTable<'a>,
    /// The memory image and where it goes in linear memory.
    pub image: Option<(&'a [u8], u64)>,
    /// The host adapter of each imported function.
    pub import_adapters: &'a [*const u8],
}

/// # Safety
/// `p` is null with `n == 0`, or points to `n` valid `T`s that live for `'a`.
unsafe fn slice<'a, T>(p: *const T, n: usize) -> &'a [T] {
    if n == 0 || p.is_null() {
        &[]
    } else {
        // SAFETY: the caller's contract.
        unsafe { core::slice::from_raw_parts(p, n) }
    }
}

impl ModuleDescriptor {
    /// Checks the magic and returns the sections this descriptor points to.
    ///
    /// # Safety
    /// `desc` is null or points to a descriptor whose pointer/length pairs are valid for
    /// `'a` (as the compiler writes them; in an executable they live forever).
    pub unsafe fn sections<'a>(
        desc: *const ModuleDescriptor,
    ) -> Result<Sections<'a>, DescriptorError> {
        if desc.is_null() {
            return Err(DescriptorError::Null);
        }
        // SAFETY: the caller's contract.
        let d = unsafe { &*desc };
        if d.magic != MAGIC {
            return Err(DescriptorError::Magic(d.magic));
        }
        // SAFETY: each pointer/length pair of the descriptor, per the caller's contract.
        let (segments, names) = unsafe {
            (
                slice(d.segments, d.segments_len),
                slice(d.names, d.names_len),
            )
        };
        // SAFETY: as above.
        let (info, data, config, image) = unsafe {
            (
                slice(d.info, d.info_len),
                slice(d.data, d.data_len),
                slice(d.config, d.config_len),
                slice(d.image, d.image_len),
            )
        };
        // SAFETY: as above.
        let import_adapters = unsafe { slice(d.import_adapters, d.num_import_adapters) };
        // SAFETY: as above.
        let (funcs, trap_sites, addr_map) = unsafe {
            (
                slice(d.funcs, d.num_funcs),
                slice(d.trap_sites, d.trap_sites_len),
                slice(d.addr_map, d.addr_map_len),
            )
        };
        // SAFETY: as above.
        let (call_sites, handlers) = unsafe {
            (
                slice(d.call_sites, d.num_call_sites),
                slice(d.handlers, d.num_handlers),
            )
        };
        Ok(Sections {
            info,
            segments,
            names,
            data,
            config,
            funcs: FuncTable::new(funcs, trap_sites, addr_map)?
                .with_call_sites(call_sites, handlers)?,
            image: (!image.is_empty()).then_some((image, d.image_offset)),
            import_adapters,
        })
    }
}

/// The function table and the arrays it indexes, read in place.
#[derive(Clone, Copy)]
pub struct FuncTable<'a> {
    funcs: &'a [FuncEntry],
    trap_sites: &'a [u8],
    addr_map: &'a [u8],
    call_sites: &'a [CallSite],
    handlers: &'a [Handler],
}

impl<'a> FuncTable<'a> {
    /// Checks that every function's trap sites and address map start inside their
    /// tables (a lookup that runs past the end finds nothing; it never reads out of
    /// bounds). Checks nothing per entry, so it costs nothing per site.
    pub fn new(
        funcs: &'a [FuncEntry],
        trap_sites: &'a [u8],
        addr_map: &'a [u8],
    ) -> Result<Self, DescriptorError> {
        // At least one byte per entry, two in fact.
        let fits = |start: u32, len: u32, n: usize| {
            (start as usize)
                .checked_add(len as usize)
                .is_some_and(|end| end <= n)
        };
        for f in funcs {
            if !fits(f.trap_sites_start, f.trap_sites_len, trap_sites.len())
                || !fits(f.addr_map_start, f.addr_map_len, addr_map.len())
            {
                return Err(DescriptorError::FuncTableOutOfRange);
            }
        }
        Ok(FuncTable {
            funcs,
            trap_sites,
            addr_map,
            call_sites: &[],
            handlers: &[],
        })
    }

    /// Adds the call-site and handler arrays, checking that every function's call sites
    /// and every call site's handlers lie inside them.
    pub fn with_call_sites(
        self,
        call_sites: &'a [CallSite],
        handlers: &'a [Handler],
    ) -> Result<Self, DescriptorError> {
        let fits = |start: u32, len: u32, n: usize| {
            (start as usize)
                .checked_add(len as usize)
                .is_some_and(|end| end <= n)
        };
        let funcs_fit = self
            .funcs
            .iter()
            .all(|f| fits(f.call_sites_start, f.call_sites_len, call_sites.len()));
        let sites_fit = call_sites
            .iter()
            .all(|c| fits(c.handlers_start, c.handlers_len, handlers.len()));
        if !funcs_fit || !sites_fit {
            return Err(DescriptorError::FuncTableOutOfRange);
        }
        Ok(FuncTable {
            call_sites,
            handlers,
            ..self
        })
    }

    /// The call site whose return address is at `ret_offset` in defined function `def`,
    /// with its handlers, if that call has any.
    pub fn call_site(&self, def: u32, ret_offset: u32) -> Option<(CallSite, &'a [Handler])> {
        let f = &self.funcs[def as usize];
        let start = f.call_sites_start as usize;
        let sites = &self.call_sites[start..start + f.call_sites_len as usize];
        let i = sites
            .binary_search_by_key(&ret_offset, |s| s.ret_offset)
            .ok()?;
        let site = sites[i];
        let h = site.handlers_start as usize;
        Some((site, &self.handlers[h..h + site.handlers_len as usize]))
    }

    /// One entry per defined function, in function index order.
    pub fn entries(&self) -> &'a [FuncEntry] {
        self.funcs
    }

    /// The trap site at exactly `code_offset` in defined function `def`. Allocates
    /// nothing (the signal handler calls it).
    pub fn trap_site(&self, def: u32, code_offset: u32) -> Option<TrapSite> {
        let f = self.funcs.get(def as usize)?;
        let mut bytes = self.trap_sites.get(f.trap_sites_start as usize..)?;
        let mut cursor = Cursor::default();
        for _ in 0..f.trap_sites_len {
            let (code, wasm, trap) = cursor.get(&mut bytes, TRAP_BITS)?;
            if code >= code_offset {
                return (code == code_offset).then_some(TrapSite {
                    code_offset: code,
                    wasm_offset: wasm,
                    trap,
                });
            }
        }
        None
    }

    /// The address-map entry of the instruction containing `code_offset` in function
    /// `def`: the last entry at or before it. Allocates nothing (the unwinder calls it).
    pub fn addr_map_entry(&self, def: u32, code_offset: u32) -> Option<AddrMapEntry> {
        let f = self.funcs.get(def as usize)?;
        let mut bytes = self.addr_map.get(f.addr_map_start as usize..)?;
        let mut cursor = Cursor::default();
        let mut found = None;
        for _ in 0..f.addr_map_len {
            let (code, wasm, inlined) = cursor.get(&mut bytes, INLINED_BITS)?;
            let inlined = match inlined {
                0 => None,
                _ => Some(InlinedFrame {
                    func_index: u32::try_from(get_uleb(&mut bytes)?).ok()?,
                    wasm_offset: u32::try_from(get_uleb(&mut bytes)?).ok()?,
                }),
            };
            if code > code_offset {
                break;
            }
            found = Some(AddrMapEntry {
                code_offset: code,
                wasm_offset: wasm,
                inlined,
            });
        }
        found
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;

    /// The byte layout is the ABI: these pins fail when a field moves, which must come
    /// with a new [`MAGIC`].
    #[test]
    fn layout_is_pinned() {
        assert_eq!(size_of::<ModuleDescriptor>(), 208);
        assert_eq!(offset_of!(ModuleDescriptor, info), 8);
        assert_eq!(offset_of!(ModuleDescriptor, segments), 24);
        assert_eq!(offset_of!(ModuleDescriptor, names), 40);
        assert_eq!(offset_of!(ModuleDescriptor, funcs), 72);
        assert_eq!(offset_of!(ModuleDescriptor, call_sites), 120);
        assert_eq!(offset_of!(ModuleDescriptor, image_offset), 184);
        assert_eq!(offset_of!(ModuleDescriptor, import_adapters), 192);
        assert_eq!(size_of::<FuncEntry>(), 48);
        assert_eq!(size_of::<CallSite>(), 24);
        assert_eq!(size_of::<Handler>(), 8);
        for align in [
            core::mem::align_of::<ModuleDescriptor>(),
            core::mem::align_of::<FuncEntry>(),
            core::mem::align_of::<CallSite>(),
        ] {
            assert!(align as u64 <= RECORD_ALIGN);
        }
        assert_eq!(MAGIC, 0x0b00_0000_4e4c_494b);
    }

    #[test]
    fn records_encode_to_pinned_bytes() {
        let mut table = FuncTableEncoder::new();
        let site = TrapSite {
            code_offset: 0x11,
            wasm_offset: 0x2233,
            trap: 9,
        };
        let site2 = TrapSite {
            code_offset: 0x19,
            wasm_offset: 0x2230,
            trap: 2,
        };
        let entry = AddrMapEntry {
            code_offset: 0x44,
            wasm_offset: 0x55,
            inlined: None,
        };
        let inlined = AddrMapEntry {
            code_offset: 0x45,
            wasm_offset: 0x56,
            inlined: Some(InlinedFrame {
                func_index: 3,
                wasm_offset: 0x90,
            }),
        };
        let call = CallSite {
            ret_offset: 0x77,
            frame_offset: 0x20,
            context_offset: 8,
            handlers_start: 0,
            handlers_len: 1,
            reserved: 0,
        };
        let handler = Handler {
            target_offset: 0x88,
            tag: 3,
        };
        table.push(
            0x66,
            true,
            &[site, site2],
            &[entry, inlined],
            &[call],
            &[handler],
        );
        let t = table.finish();
        // 0x11 << 5 | 9 = 0x229 and zigzag(0x2233) = 0x4466 in LEB128; then 8 << 5 | 2 and
        // zigzag(-3) = 5.
        assert_eq!(
            t.trap_sites,
            [0xa9, 0x04, 0xe6, 0x88, 0x01, 0x82, 0x02, 0x05]
        );
        // 0x44 << 1 and zigzag(0x55) = 0xaa; then 1 << 1 | 1, zigzag(1) = 2, function 3 at
        // 0x90.
        assert_eq!(
            t.addr_map,
            [0x88, 0x01, 0xaa, 0x01, 0x03, 0x02, 0x03, 0x90, 0x01]
        );
        assert_eq!(
            t.call_sites,
            [0x77, 0, 0, 0, 0x20, 0, 0, 0, 8, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0]
        );
        assert_eq!(t.handlers, [0x88, 0, 0, 0, 3, 0, 0, 0]);
        let mut func = vec![0u8; 16];
        func.extend_from_slice(&[0x66, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0]);
        func.extend_from_slice(&[0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0]);
        func.extend_from_slice(&[1, 0, 0, 0, 0, 0, 0, 0]);
        assert_eq!(t.funcs.bytes, func);
        assert_eq!(
            t.funcs.pointers,
            [
                PointerField {
                    offset: 0,
                    target: FuncPointer::Code(0)
                },
                PointerField {
                    offset: 8,
                    target: FuncPointer::Trampoline(0)
                },
            ]
        );
    }

    /// An encoded record array copied to 8-aligned memory, as the object writer places it.
    fn placed(bytes: &[u8]) -> Vec<u64> {
        let mut words = vec![0u64; bytes.len().div_ceil(8)];
        for (i, b) in bytes.iter().enumerate() {
            words[i / 8] |= u64::from(*b) << (8 * (i % 8));
        }
        words
    }

    /// Applies the relocations an object writer would: each pointer field gets `address`.
    fn relocate<T: Copy>(
        words: &mut [u64],
        pointers: &[PointerField<T>],
        address: impl Fn(T) -> u64,
    ) {
        for p in pointers {
            assert_eq!(p.offset % 8, 0, "pointer fields are aligned");
            words[p.offset as usize / 8] = address(p.target);
        }
    }

    /// What the compiler encodes, the runtime decodes: every field and lookup round-trips.
    #[test]
    fn encoder_and_decoder_agree() {
        let site = |code_offset, wasm_offset, trap| TrapSite {
            code_offset,
            wasm_offset,
            trap,
        };
        let entry = |code_offset, wasm_offset| AddrMapEntry {
            code_offset,
            wasm_offset,
            inlined: None,
        };
        let inlined = |code_offset, wasm_offset, func_index, call| AddrMapEntry {
            code_offset,
            wasm_offset,
            inlined: Some(InlinedFrame {
                func_index,
                wasm_offset: call,
            }),
        };
        let call = |ret_offset, handlers_start, handlers_len| CallSite {
            ret_offset,
            frame_offset: 0x30,
            context_offset: 0,
            handlers_start,
            handlers_len,
            reserved: 0,
        };
        let handler = |target_offset, tag| Handler { target_offset, tag };
        let mut table = FuncTableEncoder::new();
        table.push(
            32,
            false,
            &[site(4, 0x10, 9), site(9, 0x14, 2)],
            &[entry(0, 0x30)],
            &[call(8, 0, 2)],
            &[handler(20, 1), handler(24, Handler::CATCH_ALL)],
        );
        table.push(
            64,
            true,
            &[],
            &[
                entry(2, 0x40),
                inlined(11, 0x44, 7, 0x1234),
                entry(20, 0x48),
                entry(30, u32::MAX),
            ],
            &[],
            &[],
        );
        table.push(
            16,
            false,
            &[site(3, 0x50, 7)],
            &[],
            &[call(5, 0, 1), call(9, 0, 1)],
            &[handler(12, 0)],
        );
        let t = table.finish();
        assert_eq!(t.num_funcs, 3);
        assert_eq!((t.num_call_sites, t.num_handlers), (3, 3));

        let code = [0u8; 112];
        let code_at = |def: u32| code.as_ptr() as u64 + [0, 32, 96][def as usize];
        let mut funcs = placed(&t.funcs.bytes);
        relocate(&mut funcs, &t.funcs.pointers, |p| match p {
            FuncPointer::Code(def) => code_at(def),
            FuncPointer::Trampoline(def) => code_at(def) + 1000,
        });
        let trap_sites = placed(&t.trap_sites);
        let addr_map = placed(&t.addr_map);
        let call_sites = placed(&t.call_sites);
        let handlers = placed(&t.handlers);
        let (segments, names) = ([9u8; 4], [8u8; 6]);
        let (info, data, config, image) = (
            [1u8, 2, 3],
            [4u8; 5],
            [6u8; 2],
            vec![
                7u8;
                usize::try_from(crate::target::Arch::X86_64.image_align()).expect("a few pages")
            ],
        );
        let desc = DescriptorEncoder {
            info_len: info.len(),
            segments_len: segments.len(),
            names_len: names.len(),
            data_len: data.len(),
            num_funcs: t.num_funcs,
            trap_sites_len: t.trap_sites.len(),
            addr_map_len: t.addr_map.len(),
            num_call_sites: t.num_call_sites,
            num_handlers: t.num_handlers,
            config_len: config.len(),
            image: Some((image.len(), 0x400)),
            num_import_adapters: 2,
        }
        .encode();
        assert_eq!(desc.pointers.len(), 12);
        let adapters = encode_import_adapters(2);
        let mut adapter_words = placed(&adapters.bytes);
        relocate(&mut adapter_words, &adapters.pointers, |i| {
            2000 + u64::from(i)
        });
        let mut desc_words = placed(&desc.bytes);
        relocate(&mut desc_words, &desc.pointers, |s| match s {
            Section::Info => info.as_ptr() as u64,
            Section::Segments => segments.as_ptr() as u64,
            Section::Names => names.as_ptr() as u64,
            Section::Data => data.as_ptr() as u64,
            Section::Funcs => funcs.as_ptr() as u64,
            Section::TrapSites => trap_sites.as_ptr() as u64,
            Section::AddrMap => addr_map.as_ptr() as u64,
            Section::CallSites => call_sites.as_ptr() as u64,
            Section::Handlers => handlers.as_ptr() as u64,
            Section::Config => config.as_ptr() as u64,
            Section::Image => image.as_ptr() as u64,
            Section::ImportAdapters => adapter_words.as_ptr() as u64,
        });

        // SAFETY: every pointer field was relocated to live, suitably aligned memory of
        // the encoded length.
        let s = unsafe { ModuleDescriptor::sections(desc_words.as_ptr().cast()) }.unwrap();
        assert_eq!(s.info, info);
        assert_eq!((s.segments, s.names), (&segments[..], &names[..]));
        assert_eq!(s.data, data);
        assert_eq!(s.config, config);
        assert_eq!(s.image, Some((&image[..], 0x400)));
        assert_eq!(
            s.import_adapters
                .iter()
                .map(|p| *p as u64)
                .collect::<Vec<_>>(),
            [2000, 2001]
        );
        let entries = s.funcs.entries();
        assert_eq!(entries.len(), 3);
        assert_eq!(entries[1].code as u64, code_at(1));
        assert_eq!(entries[1].trampoline as u64, code_at(1) + 1000);
        assert!(entries[0].trampoline.is_null());
        assert_eq!(
            entries.iter().map(|e| e.code_len).collect::<Vec<_>>(),
            [32, 64, 16]
        );
        assert_eq!(s.funcs.trap_site(0, 9), Some(site(9, 0x14, 2)));
        assert_eq!(s.funcs.trap_site(0, 5), None);
        assert_eq!(s.funcs.trap_site(1, 4), None);
        assert_eq!(s.funcs.trap_site(2, 3), Some(site(3, 0x50, 7)));
        let wasm_offset = |def, code| s.funcs.addr_map_entry(def, code).map(|e| e.wasm_offset);
        assert_eq!(wasm_offset(0, 31), Some(0x30));
        assert_eq!(wasm_offset(1, 1), None);
        assert_eq!(wasm_offset(1, 10), Some(0x40));
        assert_eq!(
            s.funcs.addr_map_entry(1, 11),
            Some(inlined(11, 0x44, 7, 0x1234))
        );
        assert_eq!(
            s.funcs.addr_map_entry(1, 19),
            Some(inlined(11, 0x44, 7, 0x1234))
        );
        assert_eq!(s.funcs.addr_map_entry(1, 20), Some(entry(20, 0x48)));
        assert_eq!(wasm_offset(1, 29), Some(0x48));
        assert_eq!(wasm_offset(1, 1000), Some(u32::MAX));
        assert_eq!(s.funcs.trap_site(0, 4), Some(site(4, 0x10, 9)));
        assert_eq!(s.funcs.trap_site(0, 10), None);
        assert_eq!(s.funcs.trap_site(7, 4), None);
        assert_eq!(wasm_offset(2, 0), None);
        let (site, hs) = s.funcs.call_site(0, 8).unwrap();
        assert_eq!(site.frame_offset, 0x30);
        assert_eq!(hs, [handler(20, 1), handler(24, Handler::CATCH_ALL)]);
        assert!(s.funcs.call_site(0, 9).is_none());
        assert!(s.funcs.call_site(1, 8).is_none());
        // The third function's sites index its own handler, after the first function's.
        assert_eq!(s.funcs.call_site(2, 9).unwrap().1, [handler(12, 0)]);
        assert_eq!(s.funcs.call_site(2, 5).unwrap().0.handlers_start, 2);
    }

    #[test]
    fn descriptor_without_image_leaves_it_null() {
        let desc = DescriptorEncoder::default().encode();
        assert!(desc.pointers.iter().all(|p| p.target != Section::Image));
        let words = placed(&desc.bytes);
        // SAFETY: no pointer field was relocated and every length is zero, so no slice is
        // made from a null pointer.
        let s = unsafe { ModuleDescriptor::sections(words.as_ptr().cast()) }.unwrap();
        assert!(s.image.is_none() && s.info.is_empty() && s.funcs.entries().is_empty());
        assert!(s.import_adapters.is_empty());
    }

    #[test]
    fn decoder_rejects_bad_descriptors() {
        let mut words = placed(&DescriptorEncoder::default().encode().bytes);
        words[0] = 0x1234;
        // SAFETY: a descriptor with zero lengths.
        let e = unsafe { ModuleDescriptor::sections(words.as_ptr().cast()) }.err();
        assert_eq!(e, Some(DescriptorError::Magic(0x1234)));
        // SAFETY: null is allowed.
        let e = unsafe { ModuleDescriptor::sections(core::ptr::null()) }.err();
        assert_eq!(e, Some(DescriptorError::Null));
        let funcs = [FuncEntry {
            code: core::ptr::null(),
            trampoline: core::ptr::null(),
            code_len: 1,
            trap_sites_start: 0,
            trap_sites_len: 1,
            addr_map_start: 0,
            addr_map_len: 0,
            call_sites_start: 0,
            call_sites_len: 0,
            reserved: 0,
        }];
        let e = FuncTable::new(&funcs, &[], &[]).err();
        assert_eq!(e, Some(DescriptorError::FuncTableOutOfRange));
        // A compact table cut short, or a number longer than 64 bits: lookups find nothing.
        let t = FuncTable::new(&funcs, &[0x80], &[]).unwrap();
        assert_eq!(t.trap_site(0, 0), None);
        let long = [0xffu8; 12];
        let t = FuncTable::new(&funcs, &long, &[]).unwrap();
        assert_eq!(t.trap_site(0, 0), None);
        let site = CallSite {
            ret_offset: 0,
            frame_offset: 0,
            context_offset: 0,
            handlers_start: 0,
            handlers_len: 1,
            reserved: 0,
        };
        let ok = [FuncEntry {
            trap_sites_len: 0,
            call_sites_len: 1,
            ..funcs[0]
        }];
        let table = FuncTable::new(&ok, &[], &[]).unwrap();
        let e = table.with_call_sites(&[site], &[]).err();
        assert_eq!(e, Some(DescriptorError::FuncTableOutOfRange));
    }
}
