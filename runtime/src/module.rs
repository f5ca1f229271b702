//! Decoded modules and the process-wide registry of their code ranges.
//!
//! A module is decoded once per descriptor and lives for the rest of the process (its code
//! does too, by contract), so the signal handler can map a PC to a module, a function and
//! a trap site without locks or allocation: the registry is an immutable sorted vector
//! published through an atomic pointer and replaced (never freed) when a module is added.

use std::ptr;
use std::sync::atomic::{AtomicPtr, Ordering};
use std::sync::{Mutex, OnceLock};

use kiln_abi::descriptor::{
    AddrMapEntry, CallSite, FuncEntry, FuncTable, Handler, ModuleDescriptor, TrapSite,
};
use kiln_abi::info::{DataSegment, ModuleInfo, Names, RunConfig};

/// Everything the runtime knows about one compiled module.
pub(crate) struct ModuleInner {
    pub desc: *const ModuleDescriptor,
    /// Without the data segments, function names and source lines: those are decoded from
    /// their own sections when first used ([`ModuleInner::data_segments`],
    /// [`ModuleInner::names`]).
    pub info: ModuleInfo,
    segments_section: &'static [u8],
    segments: OnceLock<Vec<DataSegment>>,
    names_section: &'static [u8],
    names: OnceLock<Names>,
    pub config: RunConfig,
    /// Canonical type id of each type index.
    pub type_ids: Box<[u32]>,
    /// One entry per defined function (`table.entries()`), read in place.
    pub funcs: &'static [FuncEntry],
    /// The function table with its trap sites and address map, read in place.
    table: FuncTable<'static>,
    pub data: &'static [u8],
    /// The initial memory image and its offset in linear memory, when the compiler applied
    /// the active data segments itself.
    pub image: Option<(&'static [u8], u64)>,
    /// The `tail`-convention adapter of each imported function, bound when the import is
    /// a host function.
    pub import_adapters: &'static [*const u8],
    /// (code address, defined function index), sorted by address.
    by_addr: Box<[(usize, u32)]>,
}

// SAFETY: everything behind the raw pointers is immutable, mapped for the program's life.
unsafe impl Send for ModuleInner {}
// SAFETY: as above.
unsafe impl Sync for ModuleInner {}

impl ModuleInner {
    /// # Safety
    /// `desc` points to a valid descriptor whose contents stay mapped forever.
    unsafe fn decode(desc: *const ModuleDescriptor) -> Result<ModuleInner, String> {
        // SAFETY: the caller's contract.
        let sections = unsafe { ModuleDescriptor::sections(desc) }.map_err(|e| e.to_string())?;
        let table = sections.funcs;
        let funcs = table.entries();
        let info =
            ModuleInfo::decode(sections.info).map_err(|e| format!("bad module info: {e}"))?;
        let config = if sections.config.is_empty() {
            RunConfig::default()
        } else {
            RunConfig::decode(sections.config).map_err(|e| format!("bad run config: {e}"))?
        };
        let missing: Vec<&str> = config
            .cpu_features
            .iter()
            .map(String::as_str)
            .filter(|f| !kiln_abi::cpu::host_has(f))
            .collect();
        if !missing.is_empty() {
            let baseline = crate::arch::ARCH.baseline_cpu();
            return Err(format!(
                "this program was compiled for CPUs with {}, which this CPU lacks \
                 (compile it with `kiln compile --target-cpu {}` to run on {})",
                missing.join(", "),
                baseline.name,
                baseline.about
            ));
        }
        if let Some((image, offset)) = sections.image {
            crate::memory::check_image_alignment(image, offset)?;
        }
        let num_defined = info.funcs.len() - info.num_imported_funcs as usize;
        if sections.import_adapters.len() != info.num_imported_funcs as usize {
            return Err(format!(
                "descriptor has {} import adapters, module info {} imported functions",
                sections.import_adapters.len(),
                info.num_imported_funcs
            ));
        }
        if funcs.len() != num_defined {
            return Err(format!(
                "descriptor has {} functions, module info {num_defined}",
                funcs.len()
            ));
        }
        let type_ids = crate::types::intern_module_types(&info.types);
        let mut by_addr: Vec<(usize, u32)> = funcs
            .iter()
            .enumerate()
            .map(|(i, f)| {
                let i = u32::try_from(i).expect("function indices are u32");
                (f.code as usize, i)
            })
            .collect();
        by_addr.sort_unstable();
        Ok(ModuleInner {
            desc,
            info,
            segments_section: sections.segments,
            segments: OnceLock::new(),
            names_section: sections.names,
            names: OnceLock::new(),
            config,
            type_ids,
            funcs,
            table,
            data: sections.data,
            image: sections.image,
            import_adapters: sections.import_adapters,
            by_addr: by_addr.into_boxed_slice(),
        })
    }

    /// The module's data segments (decoded on first use; a module with a memory image and
    /// no passive segment has none to decode).
    pub(crate) fn data_segments(&self) -> &[DataSegment] {
        self.segments.get_or_init(|| {
            ModuleInfo::decode_segments(self.segments_section)
                .expect("the compiler encodes the data segments it describes")
        })
    }

    /// Function names and source lines, for trap reports (decoded on first use; a report
    /// without names is better than none, so bad bytes give no names).
    pub(crate) fn names(&self) -> &Names {
        self.names
            .get_or_init(|| ModuleInfo::decode_names(self.names_section).unwrap_or_default())
    }

    fn code_range(&self) -> Option<(usize, usize)> {
        let start = self.by_addr.first()?.0;
        let end = self
            .funcs
            .iter()
            .map(|f| f.code as usize + f.code_len as usize)
            .max()?;
        Some((start, end))
    }

    /// The defined function whose code contains `pc`.
    pub(crate) fn func_at(&self, pc: usize) -> Option<u32> {
        let i = match self.by_addr.binary_search_by(|(a, _)| a.cmp(&pc)) {
            Ok(i) => i,
            Err(0) => return None,
            Err(i) => i - 1,
        };
        let (start, def) = self.by_addr[i];
        let f = &self.funcs[def as usize];
        (pc < start + f.code_len as usize).then_some(def)
    }

    /// The trap site at exactly `code_offset` in defined function `def`.
    pub(crate) fn trap_site(&self, def: u32, code_offset: u32) -> Option<TrapSite> {
        self.table.trap_site(def, code_offset)
    }

    /// The address-map entry of the instruction containing `code_offset` in function
    /// `def`: its wasm offset and, for a call an inlined function made, that function's
    /// frame.
    pub(crate) fn addr_map_entry(&self, def: u32, code_offset: u32) -> Option<AddrMapEntry> {
        self.table.addr_map_entry(def, code_offset)
    }

    /// The call with exception handlers returning to `ret_offset` in function `def`.
    pub(crate) fn call_site(&self, def: u32, ret_offset: u32) -> Option<(CallSite, &[Handler])> {
        self.table.call_site(def, ret_offset)
    }

    /// Function index (module index space) of defined function `def`.
    pub(crate) fn func_index(&self, def: u32) -> u32 {
        self.info.num_imported_funcs + def
    }
}

struct Range {
    start: usize,
    end: usize,
    module: &'static ModuleInner,
}

static REGISTRY: AtomicPtr<Vec<Range>> = AtomicPtr::new(ptr::null_mut());
static REGISTRY_WRITE: Mutex<()> = Mutex::new(());

/// Decodes `desc` (once per descriptor) and registers its code range.
///
/// # Safety
/// As [`crate::embed::Module::from_descriptor`].
pub(crate) unsafe fn register(
    desc: *const ModuleDescriptor,
) -> Result<&'static ModuleInner, String> {
    let _guard = REGISTRY_WRITE.lock().unwrap_or_else(|e| e.into_inner());
    let cur = REGISTRY.load(Ordering::Acquire);
    // SAFETY: published registries are never freed.
    let cur: &[Range] = if cur.is_null() { &[] } else { unsafe { &*cur } };
    if let Some(r) = cur.iter().find(|r| ptr::eq(r.module.desc, desc)) {
        return Ok(r.module);
    }
    // SAFETY: the caller's contract.
    let module: &'static ModuleInner = Box::leak(Box::new(unsafe { ModuleInner::decode(desc) }?));
    let Some((start, end)) = module.code_range() else {
        return Ok(module);
    };
    // A module whose code overlaps an older one replaces it (its memory was reused).
    let mut next: Vec<Range> = cur
        .iter()
        .filter(|r| r.end <= start || r.start >= end)
        .map(|r| Range {
            start: r.start,
            end: r.end,
            module: r.module,
        })
        .collect();
    next.push(Range { start, end, module });
    next.sort_unstable_by_key(|r| r.start);
    // The old vector is leaked on purpose: a signal handler may be reading it.
    REGISTRY.store(Box::into_raw(Box::new(next)), Ordering::Release);
    Ok(module)
}

/// The module and defined function containing `pc`. Async-signal-safe.
pub(crate) fn lookup_pc(pc: usize) -> Option<(&'static ModuleInner, u32)> {
    let cur = REGISTRY.load(Ordering::Acquire);
    if cur.is_null() {
        return None;
    }
    // SAFETY: published registries are never freed or mutated.
    let ranges = unsafe { &*cur };
    let i = match ranges.binary_search_by(|r| r.start.cmp(&pc)) {
        Ok(i) => i,
        Err(0) => return None,
        Err(i) => i - 1,
    };
    let r = &ranges[i];
    if pc >= r.end {
        return None;
    }
    r.module.func_at(pc).map(|f| (r.module, f))
}
