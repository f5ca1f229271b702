//! Loads the compiler's ELF relocatable object into this process, the way a static linker
//! and loader would, so a test harness can run compiled modules without writing
//! executables.
//!
//! Every allocated section goes into one anonymous mapping: the executable sections and a
//! small PLT first (read + execute once relocated), then everything else and the GOT
//! (read + write). Undefined symbols are resolved through
//! [`crate::embed::builtin_address`], then the process's own symbols (`dlsym`),
//! then a few libm fallbacks. The mapping is never freed: the runtime keeps pointers into
//! it (trap lookup, descriptors) for the life of the process.
//!
//! The object must be for this process's architecture; what differs per architecture (the
//! relocation types, the PLT entry) is in one submodule per architecture.

use std::collections::HashMap;
use std::fmt;

use kiln_abi::descriptor::ModuleDescriptor;
use object::elf;
use object::read::{
    Object, ObjectSection, ObjectSymbol, RelocationTarget, SectionIndex, SymbolIndex,
};
use object::{RelocationFlags, SectionFlags};

#[cfg(target_arch = "aarch64")]
mod aarch64;
#[cfg(target_arch = "x86_64")]
mod x86_64;
#[cfg(target_arch = "aarch64")]
use aarch64 as arch;
#[cfg(target_arch = "x86_64")]
use x86_64 as arch;
#[cfg(not(any(target_arch = "x86_64", target_arch = "aarch64")))]
compile_error!("the object loader knows x86_64 and aarch64: add a module to runtime/src/loader");

/// What one relocation refers to, as the architecture's formulas need it.
struct Reloc {
    /// S: the symbol's (or section's) address.
    symbol: i64,
    /// A.
    addend: i64,
    /// P: the address of the place being relocated.
    place: i64,
    /// The address of the symbol's GOT slot, if it has one.
    got: Option<i64>,
    /// The address of the symbol's PLT entry, if it has one (undefined symbols).
    plt: Option<i64>,
}

/// Why an architecture could not apply a relocation.
enum RelocError {
    Unsupported,
    Overflow,
    NoGotSlot,
}

/// Why an object could not be loaded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LoadError {
    /// Not an ELF relocatable object for this process's architecture, or corrupt.
    Parse(String),
    /// An undefined symbol nothing in this process provides.
    UnknownSymbol(String),
    /// A relocation type the loader does not implement.
    UnsupportedRelocation {
        section: String,
        offset: u64,
        r_type: u32,
    },
    /// A 32-bit relocation whose value does not fit.
    Overflow {
        section: String,
        offset: u64,
        symbol: String,
    },
    /// The object does not define the module descriptor.
    MissingDescriptor,
    /// `mmap`/`mprotect` failed.
    Map(String),
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LoadError::Parse(m) => write!(f, "cannot parse the object: {m}"),
            LoadError::UnknownSymbol(s) => write!(
                f,
                "undefined symbol `{s}` (not a runtime builtin nor in this process)"
            ),
            LoadError::UnsupportedRelocation {
                section,
                offset,
                r_type,
            } => {
                write!(
                    f,
                    "unsupported relocation type {r_type} at {section}+{offset:#x}"
                )
            }
            LoadError::Overflow {
                section,
                offset,
                symbol,
            } => {
                write!(
                    f,
                    "relocation at {section}+{offset:#x} against `{symbol}` overflows 32 bits"
                )
            }
            LoadError::MissingDescriptor => {
                write!(
                    f,
                    "the object does not define `{}`",
                    kiln_abi::symbols::MODULE_DESCRIPTOR
                )
            }
            LoadError::Map(m) => write!(f, "cannot map the code: {m}"),
        }
    }
}

impl std::error::Error for LoadError {}

/// A loaded object: where its symbols ended up.
pub struct Loaded {
    symbols: HashMap<String, usize>,
}

impl Loaded {
    /// The address of a symbol the object defines.
    pub fn symbol(&self, name: &str) -> Option<usize> {
        self.symbols.get(name).copied()
    }

    /// The module descriptor the object defines.
    pub fn descriptor(&self) -> Result<*const ModuleDescriptor, LoadError> {
        self.symbol(kiln_abi::symbols::MODULE_DESCRIPTOR)
            .map(|a| a as *const ModuleDescriptor)
            .ok_or(LoadError::MissingDescriptor)
    }
}

/// Loads a Kiln object and returns its module descriptor.
///
/// # Safety
/// The object's code becomes executable in this process; it must come from Kiln's compiler.
pub unsafe fn load_module(obj: &[u8]) -> Result<*const ModuleDescriptor, LoadError> {
    unsafe { load(obj, &default_resolver) }?.descriptor()
}

/// How the loader resolves undefined symbols by default.
pub fn default_resolver(name: &str) -> Option<usize> {
    if let Some(a) = crate::embed::builtin_address(name) {
        return Some(a);
    }
    if let Ok(c) = std::ffi::CString::new(name) {
        // SAFETY: a plain symbol lookup in the global namespace.
        let p = unsafe { libc::dlsym(libc::RTLD_DEFAULT, c.as_ptr()) };
        if !p.is_null() {
            return Some(p as usize);
        }
    }
    libm_fallback(name)
}

/// Float rounding functions Cranelift may call, in case libm is not in the process.
fn libm_fallback(name: &str) -> Option<usize> {
    extern "C" fn ceil(x: f64) -> f64 {
        x.ceil()
    }
    extern "C" fn floor(x: f64) -> f64 {
        x.floor()
    }
    extern "C" fn trunc(x: f64) -> f64 {
        x.trunc()
    }
    extern "C" fn nearbyint(x: f64) -> f64 {
        x.round_ties_even()
    }
    extern "C" fn ceilf(x: f32) -> f32 {
        x.ceil()
    }
    extern "C" fn floorf(x: f32) -> f32 {
        x.floor()
    }
    extern "C" fn truncf(x: f32) -> f32 {
        x.trunc()
    }
    extern "C" fn nearbyintf(x: f32) -> f32 {
        x.round_ties_even()
    }
    extern "C" fn fma(a: f64, b: f64, c: f64) -> f64 {
        a.mul_add(b, c)
    }
    extern "C" fn fmaf(a: f32, b: f32, c: f32) -> f32 {
        a.mul_add(b, c)
    }
    let p: usize = match name {
        "ceil" => ceil as extern "C" fn(f64) -> f64 as usize,
        "floor" => floor as extern "C" fn(f64) -> f64 as usize,
        "trunc" => trunc as extern "C" fn(f64) -> f64 as usize,
        "nearbyint" => nearbyint as extern "C" fn(f64) -> f64 as usize,
        "ceilf" => ceilf as extern "C" fn(f32) -> f32 as usize,
        "floorf" => floorf as extern "C" fn(f32) -> f32 as usize,
        "truncf" => truncf as extern "C" fn(f32) -> f32 as usize,
        "nearbyintf" => nearbyintf as extern "C" fn(f32) -> f32 as usize,
        "fma" => fma as extern "C" fn(f64, f64, f64) -> f64 as usize,
        "fmaf" => fmaf as extern "C" fn(f32, f32, f32) -> f32 as usize,
        _ => return None,
    };
    Some(p)
}

/// The host's page size (what `mprotect` works in).
fn page() -> usize {
    // SAFETY: sysconf has no preconditions.
    usize::try_from(unsafe { libc::sysconf(libc::_SC_PAGESIZE) }).unwrap_or(4096)
}

fn align_up(x: usize, a: usize) -> usize {
    let a = a.max(1);
    x.div_ceil(a) * a
}

fn is_alloc(s: &object::read::Section<'_, '_>) -> bool {
    match s.flags() {
        SectionFlags::Elf { sh_flags } => sh_flags & u64::from(elf::SHF_ALLOC) != 0,
        _ => false,
    }
}

fn is_exec(s: &object::read::Section<'_, '_>) -> bool {
    match s.flags() {
        SectionFlags::Elf { sh_flags } => sh_flags & u64::from(elf::SHF_EXECINSTR) != 0,
        _ => false,
    }
}

/// Loads an ELF relocatable object for this process's architecture, resolving undefined
/// symbols with `resolve`.
///
/// # Safety
/// The object's code becomes executable in this process.
pub unsafe fn load(
    obj: &[u8],
    resolve: &dyn Fn(&str) -> Option<usize>,
) -> Result<Loaded, LoadError> {
    let file = object::File::parse(obj).map_err(|e| LoadError::Parse(e.to_string()))?;
    if file.format() != object::BinaryFormat::Elf || file.architecture() != arch::ARCHITECTURE {
        return Err(LoadError::Parse(format!(
            "expected an ELF {:?} object, got {:?} {:?}",
            arch::ARCHITECTURE,
            file.format(),
            file.architecture()
        )));
    }

    // Undefined symbols: resolved now, each with a GOT slot and a PLT entry (calls to
    // far-away host functions); GOT-relative relocations against defined symbols get a
    // GOT slot too.
    let mut externals: HashMap<SymbolIndex, (String, usize)> = HashMap::new();
    let mut got: HashMap<SymbolIndex, usize> = HashMap::new();
    let mut undefined_order: Vec<SymbolIndex> = Vec::new();
    for sym in file.symbols() {
        if sym.is_undefined() && sym.index().0 != 0 {
            let name = sym.name().map_err(|e| LoadError::Parse(e.to_string()))?;
            if name.is_empty() {
                continue;
            }
            let addr = resolve(name).ok_or_else(|| LoadError::UnknownSymbol(name.to_string()))?;
            externals.insert(sym.index(), (name.to_string(), addr));
            undefined_order.push(sym.index());
        }
    }
    for s in file.sections().filter(is_alloc) {
        for (_, r) in s.relocations() {
            if let (RelocationFlags::Elf { r_type }, RelocationTarget::Symbol(si)) =
                (r.flags(), r.target())
            {
                if arch::needs_got(r_type) && !got.contains_key(&si) {
                    let n = got.len();
                    got.insert(si, n);
                }
            }
        }
    }
    for si in &undefined_order {
        if !got.contains_key(si) {
            let n = got.len();
            got.insert(*si, n);
        }
    }

    // Layout: executable sections, the PLT, then (page-aligned) the other sections and the GOT.
    let mut offsets: HashMap<SectionIndex, usize> = HashMap::new();
    let mut cursor = 0usize;
    for s in file.sections().filter(|s| is_alloc(s) && is_exec(s)) {
        cursor = align_up(cursor, s.align() as usize);
        offsets.insert(s.index(), cursor);
        cursor += s.size() as usize;
    }
    let plt_start = align_up(cursor, 16);
    let plt_end = plt_start + undefined_order.len() * arch::PLT_ENTRY;
    let page = page();
    let data_start = align_up(plt_end, page);
    cursor = data_start;
    for s in file.sections().filter(|s| is_alloc(s) && !is_exec(s)) {
        cursor = align_up(cursor, s.align() as usize);
        offsets.insert(s.index(), cursor);
        cursor += s.size() as usize;
    }
    let got_start = align_up(cursor, 8);
    let total = align_up(got_start + got.len() * 8, page).max(page);
    // The offsets above honour each section's alignment only if the base honours the
    // largest: the memory image is aligned to the target's largest page size (64 KiB on
    // AArch64), more than `mmap` guarantees. Map enough to slide the base up to it.
    let max_align = file
        .sections()
        .filter(is_alloc)
        .map(|s| s.align() as usize)
        .fold(page, usize::max);
    let slack = max_align - page;

    // SAFETY: a fresh private anonymous mapping.
    let raw = unsafe {
        libc::mmap(
            std::ptr::null_mut(),
            total + slack,
            libc::PROT_READ | libc::PROT_WRITE,
            libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
            -1,
            0,
        )
    };
    if raw == libc::MAP_FAILED {
        return Err(LoadError::Map(std::io::Error::last_os_error().to_string()));
    }
    let base = align_up(raw as usize, max_align);
    // SAFETY: `base..base+total` is ours and writable; from here on it is leaked on error
    // too, which is harmless.
    let mem = unsafe { std::slice::from_raw_parts_mut(base as *mut u8, total) };

    for s in file.sections().filter(is_alloc) {
        let off = offsets[&s.index()];
        if s.kind() == object::SectionKind::UninitializedData
            || matches!(s.kind(), object::SectionKind::UninitializedTls)
        {
            continue; // already zero
        }
        let data = s.data().map_err(|e| LoadError::Parse(e.to_string()))?;
        mem[off..off + data.len()].copy_from_slice(data);
    }

    // Symbol addresses.
    let mut symbols: HashMap<String, usize> = HashMap::new();
    let sym_addr = |si: SymbolIndex| -> Result<(usize, String), LoadError> {
        if let Some((name, addr)) = externals.get(&si) {
            return Ok((*addr, name.clone()));
        }
        let sym = file
            .symbol_by_index(si)
            .map_err(|e| LoadError::Parse(e.to_string()))?;
        let name = sym.name().unwrap_or("").to_string();
        match sym.section() {
            object::SymbolSection::Section(sec) => match offsets.get(&sec) {
                Some(off) => Ok((base + off + sym.address() as usize, name)),
                None => Err(LoadError::Parse(format!(
                    "symbol `{name}` is in a section that is not loaded"
                ))),
            },
            object::SymbolSection::Absolute => Ok((sym.address() as usize, name)),
            _ => Err(LoadError::UnknownSymbol(name)),
        }
    };
    for sym in file.symbols() {
        if sym.is_definition() || matches!(sym.section(), object::SymbolSection::Section(_)) {
            if let (Ok(name), object::SymbolSection::Section(_)) = (sym.name(), sym.section()) {
                if !name.is_empty() {
                    if let Ok((a, _)) = sym_addr(sym.index()) {
                        symbols.insert(name.to_string(), a);
                    }
                }
            }
        }
    }

    // GOT and PLT.
    for (si, slot) in &got {
        let (addr, _) = sym_addr(*si)?;
        let at = got_start + slot * 8;
        mem[at..at + 8].copy_from_slice(&(addr as u64).to_le_bytes());
    }
    let mut plt: HashMap<SymbolIndex, usize> = HashMap::new();
    for (i, si) in undefined_order.iter().enumerate() {
        let at = plt_start + i * arch::PLT_ENTRY;
        let got_at = got_start + got[si] * 8;
        arch::write_plt_entry(&mut mem[at..at + arch::PLT_ENTRY], base + at, base + got_at);
        plt.insert(*si, base + at);
    }

    // Relocations.
    for s in file.sections().filter(is_alloc) {
        let sec_off = offsets[&s.index()];
        let sec_name = s.name().unwrap_or("?").to_string();
        for (r_off, r) in s.relocations() {
            let RelocationFlags::Elf { r_type } = r.flags() else {
                return Err(LoadError::Parse("non-ELF relocation".into()));
            };
            let (sym, sym_name, si) = match r.target() {
                RelocationTarget::Symbol(si) => {
                    let (a, n) = sym_addr(si)?;
                    (a as i64, n, Some(si))
                }
                RelocationTarget::Section(sec) => match offsets.get(&sec) {
                    Some(o) => ((base + o) as i64, format!("section {}", sec.0), None),
                    None => {
                        return Err(LoadError::Parse(
                            "relocation against an unloaded section".into(),
                        ))
                    }
                },
                RelocationTarget::Absolute => (0, "absolute".into(), None),
                _ => return Err(LoadError::Parse("unknown relocation target".into())),
            };
            let at = sec_off + r_off as usize;
            let reloc = Reloc {
                symbol: sym,
                addend: r.addend(),
                place: (base + at) as i64,
                got: si
                    .and_then(|si| got.get(&si))
                    .map(|slot| (base + got_start + slot * 8) as i64),
                plt: si.and_then(|si| plt.get(&si)).map(|&stub| stub as i64),
            };
            arch::apply(r_type, &reloc, &mut mem[at..]).map_err(|e| match e {
                RelocError::Unsupported => LoadError::UnsupportedRelocation {
                    section: sec_name.clone(),
                    offset: r_off,
                    r_type,
                },
                RelocError::Overflow => LoadError::Overflow {
                    section: sec_name.clone(),
                    offset: r_off,
                    symbol: sym_name.clone(),
                },
                RelocError::NoGotSlot => LoadError::Parse(format!(
                    "GOT relocation against {sym_name} without a symbol"
                )),
            })?;
        }
    }

    // Code (and PLT) read + execute; the rest stays read-write.
    if data_start > 0 {
        // SAFETY: the first `data_start` bytes of our mapping.
        let rc = unsafe {
            libc::mprotect(
                base as *mut libc::c_void,
                data_start,
                libc::PROT_READ | libc::PROT_EXEC,
            )
        };
        if rc != 0 {
            return Err(LoadError::Map(std::io::Error::last_os_error().to_string()));
        }
    }
    Ok(Loaded { symbols })
}

#[cfg(test)]
mod tests {
    use super::*;
    use cranelift_codegen::ir::{types, AbiParam, InstBuilder, MemFlagsData, UserFuncName};
    use cranelift_codegen::{isa, settings, settings::Configurable};
    use cranelift_frontend::{FunctionBuilder, FunctionBuilderContext};
    use cranelift_module::{default_libcall_names, DataDescription, Linkage, Module};
    use cranelift_object::{ObjectBuilder, ObjectModule};

    /// An object with: `kiln_test_fn(x) = ext(x) + counter + far(x)`, where `ext` is an
    /// import called through the GOT (or an absolute address), `far` an import called with a
    /// direct PC-relative call (so through the loader's PLT), `counter` a defined data
    /// object; and `kiln_module`, a data object holding `kiln_test_fn`'s address.
    fn object(pic: bool) -> Vec<u8> {
        let mut flags = settings::builder();
        flags
            .set("is_pic", if pic { "true" } else { "false" })
            .unwrap();
        let triple = format!("{}-unknown-linux-gnu", std::env::consts::ARCH);
        let isa = isa::lookup_by_name(&triple)
            .unwrap()
            .finish(settings::Flags::new(flags))
            .unwrap();
        let mut m =
            ObjectModule::new(ObjectBuilder::new(isa, "t", default_libcall_names()).unwrap());
        let mut sig = m.make_signature();
        sig.params.push(AbiParam::new(types::I64));
        sig.returns.push(AbiParam::new(types::I64));
        let ext = m
            .declare_function("kiln_test_ext", Linkage::Import, &sig)
            .unwrap();
        let far = m
            .declare_function("kiln_test_far", Linkage::Import, &sig)
            .unwrap();
        let f = m
            .declare_function("kiln_test_fn", Linkage::Export, &sig)
            .unwrap();
        let counter = m
            .declare_data("kiln_test_counter", Linkage::Export, true, false)
            .unwrap();
        let desc = m
            .declare_data(
                kiln_abi::symbols::MODULE_DESCRIPTOR,
                Linkage::Export,
                false,
                false,
            )
            .unwrap();

        let mut ctx = m.make_context();
        ctx.func.signature = sig.clone();
        ctx.func.name = UserFuncName::user(0, f.as_u32());
        let mut fctx = FunctionBuilderContext::new();
        {
            let mut b = FunctionBuilder::new(&mut ctx.func, &mut fctx);
            let block = b.create_block();
            b.append_block_params_for_function_params(block);
            b.switch_to_block(block);
            b.seal_block(block);
            let x = b.block_params(block)[0];
            let ext_ref = m.declare_func_in_func(ext, b.func);
            let far_ref = m.declare_func_in_func(far, b.func);
            b.func.dfg.ext_funcs[far_ref].colocated = true;
            let gv = m.declare_data_in_func(counter, b.func);
            let call = b.ins().call(ext_ref, &[x]);
            let r1 = b.inst_results(call)[0];
            let call = b.ins().call(far_ref, &[x]);
            let r2 = b.inst_results(call)[0];
            let addr = b.ins().symbol_value(types::I64, gv);
            let c = b.ins().load(types::I64, MemFlagsData::trusted(), addr, 0);
            let s = b.ins().iadd(r1, r2);
            let s = b.ins().iadd(s, c);
            b.ins().return_(&[s]);
            b.finalize(m.isa().frontend_config());
        }
        m.define_function(f, &mut ctx).unwrap();

        let mut d = DataDescription::new();
        d.define(100u64.to_le_bytes().to_vec().into_boxed_slice());
        m.define_data(counter, &d).unwrap();
        let mut d = DataDescription::new();
        d.define_zeroinit(8);
        let fref = m.declare_func_in_data(f, &mut d);
        d.write_function_addr(0, fref);
        m.define_data(desc, &d).unwrap();
        m.finish().emit().unwrap()
    }

    extern "C" fn ext(x: i64) -> i64 {
        x * 2
    }
    extern "C" fn far(x: i64) -> i64 {
        x * 1000
    }

    fn resolver(name: &str) -> Option<usize> {
        match name {
            "kiln_test_ext" => Some(ext as extern "C" fn(i64) -> i64 as usize),
            "kiln_test_far" => Some(far as extern "C" fn(i64) -> i64 as usize),
            _ => None,
        }
    }

    #[test]
    fn loads_relocates_and_runs() {
        for pic in [false, true] {
            let obj = object(pic);
            let loaded = unsafe { load(&obj, &resolver) }.unwrap();
            let f = loaded.symbol("kiln_test_fn").unwrap();
            let desc = loaded.descriptor().unwrap();
            assert_eq!(
                unsafe { *(desc as *const usize) },
                f,
                "an absolute address in data (pic={pic})"
            );
            let f: extern "C" fn(i64) -> i64 = unsafe { std::mem::transmute(f) };
            assert_eq!(f(5), 10 + 5000 + 100, "pic={pic}");
            // The data object is writable.
            let counter = loaded.symbol("kiln_test_counter").unwrap() as *mut u64;
            unsafe { *counter = 1 };
            assert_eq!(f(5), 10 + 5000 + 1, "pic={pic}");
        }
    }

    #[test]
    fn unknown_symbol_is_an_error() {
        let obj = object(true);
        let err = unsafe {
            load(&obj, &|n| {
                if n == "kiln_test_ext" {
                    resolver(n)
                } else {
                    None
                }
            })
        }
        .err()
        .unwrap();
        assert_eq!(err, LoadError::UnknownSymbol("kiln_test_far".into()));
    }

    #[test]
    fn libc_symbols_resolve() {
        assert!(default_resolver("memmove").is_some());
        assert!(default_resolver("ceil").is_some());
        assert!(default_resolver("no_such_symbol_anywhere").is_none());
    }

    #[test]
    fn rejects_garbage() {
        assert!(matches!(
            unsafe { load(b"not an object", &resolver) },
            Err(LoadError::Parse(_))
        ));
    }
}
