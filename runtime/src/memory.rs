//! Linear memory: reservation, guard region and growth. Every memory of an instance has
//! its own.
//!
//! ```text
//!  base ─► +-------------------------+  read-write: current length (pages * 64 KiB)
//!          | accessible              |
//!          +-------------------------+  PROT_NONE up to the reservation: 4 GiB for a 32-bit
//!          | reserved, growable      |  memory; for a 64-bit one its declared maximum, at
//!          |                         |  most MEMORY64_MAX_RESERVATION (64 GiB) unless
//!          |                         |  its minimum is more
//!          +-------------------------+  PROT_NONE: GUARD_BYTES (4 GiB + 64 KiB) for 32-bit,
//!          | guard                   |  MEMORY64_GUARD_BYTES (32 MiB) for 64-bit
//!          +-------------------------+  base + total
//! ```
//!
//! SANDBOX-CRITICAL (two reviews please): the compiler emits loads and stores of 32-bit
//! memories with no bounds checks, relying on every address past `length` up to
//! `base + TOTAL_BYTES` being inaccessible; those of 64-bit memories compare the index with
//! `length` and rely on the 64-bit guard for the static offset. The base never moves;
//! growth only flips protection.
//!
//! A memory may be used by several threads at once (a shared memory of the threads
//! proposal is imported by the instance of every wasi thread): growth is serialised by a
//! lock, makes the new pages accessible first and only then publishes the new length with
//! an atomic store, so a thread that sees the length (compiled code loads it with a plain
//! aligned 64-bit load, single-copy atomic on every supported CPU) finds the pages mapped.

use std::cell::UnsafeCell;
use std::ptr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Mutex;

use kiln_abi::info::MemoryType;
use kiln_abi::memory::{
    MAX_WASM_PAGES, MEMORY64_GUARD_BYTES, MEMORY64_MAX_RESERVATION, TOTAL_BYTES, WASM_PAGE_SIZE,
};
use kiln_abi::vmctx::VmMemory;

/// One linear memory. `vm` comes first so that a `*mut VmMemory` stored in a vmctx can be
/// cast back to the whole struct by the builtins.
#[repr(C)]
pub struct LinearMemory {
    vm: UnsafeCell<VmMemory>,
    /// The most pages this memory may reach (declared max, capped at what is reserved).
    max_pages: u64,
    ty: MemoryType,
    /// Bytes of address space reserved from `base`, guard included.
    total: usize,
    /// Held while growing: one `grow` at a time, whichever thread calls it.
    growing: Mutex<()>,
}

// SAFETY: `vm.base` never changes after construction; `vm.length` is written only by
// `grow`, under `growing`, with an atomic store, and read with atomic loads (see
// `byte_len`); the bytes themselves are wasm's shared mutable memory, reached only through
// raw pointers and `unsafe` accessors whose callers take care of concurrent use.
unsafe impl Send for LinearMemory {}
// SAFETY: as above.
unsafe impl Sync for LinearMemory {}

/// How much address space a memory of type `ty` reserves: (the most pages it may reach,
/// total bytes with the guard), or `None` when that does not fit in 64 bits.
///
/// A 64-bit memory reserves its declared maximum, but no more than
/// `MEMORY64_MAX_RESERVATION` unless its minimum needs more: then exactly its minimum (it
/// cannot grow). Whether the address space is there is the kernel's answer.
///
/// A shared memory (threads proposal) is reserved the same way: validation gives it a
/// maximum, and this reservation, made once, covers it (up to the 64-bit cap), so its base
/// never moves however it grows and every thread may keep the base it loaded.
fn reservation(ty: &MemoryType) -> Option<(u64, u64)> {
    if ty.memory64 {
        let cap = MEMORY64_MAX_RESERVATION / WASM_PAGE_SIZE;
        let pages = ty.limits.max.unwrap_or(cap).min(cap).max(ty.limits.min);
        let bytes = pages.checked_mul(WASM_PAGE_SIZE)?;
        Some((pages, bytes.checked_add(MEMORY64_GUARD_BYTES)?))
    } else {
        let pages = ty.limits.max.unwrap_or(MAX_WASM_PAGES).min(MAX_WASM_PAGES);
        Some((pages, TOTAL_BYTES))
    }
}

/// Images smaller than this are copied: below it a copy is cheaper than the system calls.
const MAP_IMAGE_THRESHOLD: usize = 256 * 1024;

/// Set once by the executable's entry: its module is instantiated exactly once, so its
/// memory image may be moved rather than copied.
static TAKE_IMAGE: AtomicBool = AtomicBool::new(false);

/// Lets the next instantiation move (not copy) its module's memory image. Only for a
/// process that instantiates its module once (the executable's entry).
pub fn allow_taking_the_memory_image() {
    TAKE_IMAGE.store(true, Ordering::Relaxed);
}

/// Checks the compiler's promise about a memory image (address, length and offset in linear
/// memory multiples of the architecture's largest page size), on which moving it into
/// linear memory page by page relies.
pub fn check_image_alignment(image: &[u8], offset: u64) -> Result<(), String> {
    let align = crate::arch::ARCH.image_align();
    let aligned = |v: u64| v.is_multiple_of(align);
    if aligned(image.as_ptr() as u64) && aligned(image.len() as u64) && aligned(offset) {
        Ok(())
    } else {
        Err(format!(
            "the memory image ({} bytes at {:p}, for offset {offset:#x}) is not aligned to \
             {align} bytes",
            image.len(),
            image.as_ptr()
        ))
    }
}

/// Reserves `total` bytes of inaccessible address space, at `address` if given. The fixed
/// address uses `MAP_FIXED_NOREPLACE`, which never replaces a mapping; a kernel older
/// than 4.17 (or Valgrind) takes it as a hint, so the result is compared with it too.
fn reserve(total: usize, address: Option<u64>) -> Result<*mut u8, std::io::Error> {
    let (hint, fixed) = match address {
        Some(a) => (a as *mut libc::c_void, libc::MAP_FIXED_NOREPLACE),
        None => (ptr::null_mut(), 0),
    };
    // SAFETY: a fresh anonymous mapping; MAP_FIXED_NOREPLACE fails rather than replace
    // anything mapped at the hint.
    let base = unsafe {
        libc::mmap(
            hint,
            total,
            libc::PROT_NONE,
            libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_NORESERVE | fixed,
            -1,
            0,
        )
    };
    if base == libc::MAP_FAILED {
        return Err(std::io::Error::last_os_error());
    }
    if address.is_some() && base != hint {
        // SAFETY: the mapping just made, which nothing refers to.
        unsafe { libc::munmap(base, total) };
        return Err(std::io::Error::from_raw_os_error(libc::EEXIST));
    }
    Ok(base.cast())
}

impl LinearMemory {
    /// Reserves the address space and makes `ty.limits.min` pages accessible.
    pub fn new(ty: MemoryType) -> Result<LinearMemory, String> {
        LinearMemory::with_limit(ty, None)
    }

    /// As [`LinearMemory::new`], never growing past `max_bytes` (`--max-memory`: growth past
    /// it fails as past a declared maximum; a larger minimum is an error).
    pub fn with_limit(ty: MemoryType, max_bytes: Option<u64>) -> Result<LinearMemory, String> {
        LinearMemory::at(ty, max_bytes, None)
    }

    /// As [`LinearMemory::with_limit`], reserved at `address` when one is given (memory 0
    /// of a module whose code has its base built in, `ModuleInfo::memory0_base`); an error
    /// when anything is mapped there.
    pub fn at(
        ty: MemoryType,
        max_bytes: Option<u64>,
        address: Option<u64>,
    ) -> Result<LinearMemory, String> {
        let limits = ty.limits;
        let too_big = || {
            format!(
                "cannot reserve address space for a linear memory of {} pages ({} bytes)",
                limits.min,
                u128::from(limits.min) * u128::from(WASM_PAGE_SIZE),
            )
        };
        let (max_pages, total_bytes) = reservation(&ty).ok_or_else(too_big)?;
        if let Some(limit) = max_bytes.filter(|&l| limits.min > l / WASM_PAGE_SIZE) {
            return Err(format!(
                "memory minimum of {} pages ({} bytes) is more than the limit of {limit} bytes \
                 (--max-memory)",
                limits.min,
                u128::from(limits.min) * u128::from(WASM_PAGE_SIZE),
            ));
        }
        let max_pages = max_pages.min(max_bytes.map_or(u64::MAX, |l| l / WASM_PAGE_SIZE));
        if limits.min > max_pages {
            return Err(format!(
                "memory minimum of {} pages is more than its maximum of {max_pages}",
                limits.min
            ));
        }
        let total = usize::try_from(total_bytes).map_err(|_| too_big())?;
        let base = reserve(total, address).map_err(|e| match address {
            None => format!("{}: {e}", too_big()),
            Some(a) => format!(
                "cannot reserve linear memory 0 at {a:#x}, where the compiled code expects it \
                 ({total:#x} bytes): {e} (a module compiled with `kiln compile \
                 --memory-base=loaded` runs anywhere)"
            ),
        })?;
        let mem = LinearMemory {
            vm: UnsafeCell::new(VmMemory { base, length: 0 }),
            max_pages,
            ty,
            total,
            growing: Mutex::new(()),
        };
        if mem.grow(limits.min).is_none() {
            return Err(format!(
                "cannot commit {} pages of linear memory",
                limits.min
            ));
        }
        Ok(mem)
    }

    /// Writes the compiler's memory image at `offset` (both page aligned, in bounds).
    ///
    /// In an executable, the image lies in the executable's own file mapping and is used
    /// exactly once: large images are *moved* into linear memory with `mremap`, so their
    /// pages stay copy-on-write views of the file and start-up does not depend on their
    /// size. Otherwise (small images, in-process embedding) they are copied.
    pub fn apply_image(&self, image: &'static [u8], offset: u64) {
        let len = image.len();
        assert!(
            offset + len as u64 <= self.byte_len(),
            "image within the initial memory"
        );
        // SAFETY: the destination is inside the accessible part of this memory.
        let dst = unsafe {
            self.base()
                .add(usize::try_from(offset).expect("checked above"))
        };
        if len >= MAP_IMAGE_THRESHOLD && TAKE_IMAGE.swap(false, Ordering::Relaxed) {
            // SAFETY: source and destination are page aligned and page sized (the compiler's
            // layout, checked by `check_image_alignment` when the module was decoded); the source pages belong to the image alone and nothing reads them
            // again (TAKE_IMAGE is true only for the executable's single instantiation).
            let moved = unsafe {
                libc::mremap(
                    image.as_ptr() as *mut libc::c_void,
                    len,
                    len,
                    libc::MREMAP_MAYMOVE | libc::MREMAP_FIXED,
                    dst.cast::<libc::c_void>(),
                )
            };
            if moved == dst.cast::<libc::c_void>() {
                // SAFETY: the pages now belong to linear memory; a private mapping may
                // always become writable.
                let ok =
                    unsafe { libc::mprotect(dst.cast(), len, libc::PROT_READ | libc::PROT_WRITE) };
                if ok == 0 {
                    return;
                }
                // Cannot happen for a private mapping; the image is gone, so give up
                // loudly rather than run with wrong memory.
                panic!(
                    "cannot make the memory image writable: {}",
                    std::io::Error::last_os_error()
                );
            }
            // mremap refused (e.g. the image straddles two mappings): copy instead.
        }
        // SAFETY: distinct allocations; `dst..dst+len` is accessible (asserted above).
        unsafe { ptr::copy_nonoverlapping(image.as_ptr(), dst, len) };
    }

    /// The `VmMemory` compiled code reads (stable address for the memory's life).
    pub fn vm_ptr(&self) -> *mut VmMemory {
        self.vm.get()
    }

    pub fn base(&self) -> *mut u8 {
        // SAFETY: `base` is set at construction and never written again.
        unsafe { (*self.vm.get()).base }
    }

    /// The `length` field, as an atomic (the field compiled code loads).
    fn length(&self) -> &AtomicU64 {
        // SAFETY: `length` is an aligned `u64` living as long as `self`, and every access
        // to it from Rust goes through this atomic view (compiled code only loads it).
        unsafe { AtomicU64::from_ptr(&raw mut (*self.vm.get()).length) }
    }

    pub fn byte_len(&self) -> u64 {
        self.length().load(Ordering::Acquire)
    }

    pub fn pages(&self) -> u64 {
        self.byte_len() / WASM_PAGE_SIZE
    }

    pub fn declared_max(&self) -> Option<u64> {
        self.ty.limits.max
    }

    pub fn is_64(&self) -> bool {
        self.ty.memory64
    }

    /// Declared `shared` (threads proposal).
    pub fn is_shared(&self) -> bool {
        self.ty.shared
    }

    /// Whether `addr` lies in this memory's reservation or guard; its offset from the base.
    pub fn offset_of(&self, addr: usize) -> Option<u64> {
        let off = addr.checked_sub(self.base() as usize)?;
        (off < self.total).then_some(off as u64)
    }

    /// Grows by `delta` pages; returns the old size in pages, or `None` when the memory
    /// cannot grow (past its maximum, or the OS refused).
    pub fn grow(&self, delta: u64) -> Option<u64> {
        let _one_at_a_time = self.growing.lock().unwrap_or_else(|e| e.into_inner());
        let old = self.pages();
        let new = old.checked_add(delta)?;
        if new > self.max_pages {
            return None;
        }
        if delta == 0 {
            return Some(old);
        }
        let old_bytes = usize::try_from(old * WASM_PAGE_SIZE).ok()?;
        let delta_bytes = usize::try_from(delta * WASM_PAGE_SIZE).ok()?;
        // SAFETY: the range lies inside our reservation (new <= max_pages, reserved).
        let rc = unsafe {
            libc::mprotect(
                self.base().add(old_bytes).cast(),
                delta_bytes,
                libc::PROT_READ | libc::PROT_WRITE,
            )
        };
        if rc != 0 {
            return None;
        }
        // Published after the pages are accessible (see the module comment).
        self.length().store(new * WASM_PAGE_SIZE, Ordering::Release);
        Some(old)
    }

    /// The accessible bytes. The caller must not keep the slice across a call into wasm.
    ///
    /// # Safety
    /// No other live reference to the memory's bytes may exist.
    #[allow(
        clippy::mut_from_ref,
        reason = "linear memory is shared mutable state by design"
    )]
    pub unsafe fn bytes(&self) -> &mut [u8] {
        let len = usize::try_from(self.byte_len()).expect("64-bit host");
        // SAFETY: [base, base + len) is mapped read-write.
        unsafe { std::slice::from_raw_parts_mut(self.base(), len) }
    }
}

impl Drop for LinearMemory {
    fn drop(&mut self) {
        // SAFETY: we own the whole reservation; nothing refers to it any more.
        unsafe {
            libc::munmap(self.base().cast(), self.total);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kiln_abi::info::Limits;

    #[test]
    fn reserve_and_grow() {
        let m = LinearMemory::new(mem32(1, Some(3))).unwrap();
        assert_eq!(m.pages(), 1);
        // SAFETY: test-only exclusive access.
        unsafe {
            m.bytes()[65535] = 7;
        }
        assert_eq!(m.grow(1), Some(1));
        assert_eq!(m.grow(2), None);
        assert_eq!(m.grow(1), Some(2));
        assert_eq!(m.pages(), 3);
        // SAFETY: as above.
        unsafe {
            let b = m.bytes();
            assert_eq!(b.len(), 3 * 65536);
            assert_eq!(b[65535], 7);
            b[3 * 65536 - 1] = 1;
        }
        assert_eq!(m.grow(0), Some(3));
    }

    #[test]
    fn concurrent_growth_hands_out_each_page_once() {
        let m = std::sync::Arc::new(LinearMemory::new(mem32(0, Some(400))).unwrap());
        let growers: Vec<_> = (0..4)
            .map(|_| {
                let m = m.clone();
                std::thread::spawn(move || (0..100).map(|_| m.grow(1)).collect::<Vec<_>>())
            })
            .collect();
        let mut olds: Vec<u64> = growers
            .into_iter()
            .flat_map(|h| h.join().unwrap())
            .map(|old| old.expect("within the maximum"))
            .collect();
        olds.sort_unstable();
        assert_eq!(olds, (0..400).collect::<Vec<u64>>());
        assert_eq!(m.pages(), 400);
        assert_eq!(m.grow(1), None);
        // SAFETY: test-only exclusive access; every page grown is accessible.
        unsafe { m.bytes()[400 * 65536 - 1] = 1 };
    }

    #[test]
    fn misaligned_images_are_refused() {
        let align = usize::try_from(crate::arch::ARCH.image_align()).expect("a few pages");
        let buf: &'static [u8] = vec![0u8; 3 * align].leak();
        let start = buf.as_ptr().align_offset(align);
        let image = &buf[start..start + align];
        assert!(check_image_alignment(image, 0).is_ok());
        assert!(check_image_alignment(image, align as u64 * 3).is_ok());
        assert!(check_image_alignment(image, 512).is_err());
        assert!(check_image_alignment(&buf[start + 1..start + 1 + align], 0).is_err());
        assert!(check_image_alignment(&image[..align - 8], 0).is_err());
    }

    #[test]
    fn unbounded_stops_at_4gib() {
        let m = LinearMemory::new(mem32(0, None)).unwrap();
        assert_eq!(m.grow(65537), None);
        assert_eq!(m.grow(65536), Some(0));
        assert_eq!(m.grow(1), None);
    }

    #[test]
    fn memory64_reserves_its_maximum_up_to_the_cap() {
        let ty = |min, max| MemoryType {
            limits: Limits { min, max },
            memory64: true,
            shared: false,
        };
        let small = LinearMemory::new(ty(1, Some(2))).unwrap();
        assert_eq!(
            small.total as u64,
            2 * WASM_PAGE_SIZE + MEMORY64_GUARD_BYTES
        );
        assert_eq!(small.grow(1), Some(1));
        assert_eq!(small.grow(1), None);
        let cap = MEMORY64_MAX_RESERVATION / WASM_PAGE_SIZE;
        let big = LinearMemory::new(ty(0, None)).unwrap();
        assert!(cap > MAX_WASM_PAGES, "64-bit memories may pass 4 GiB");
        assert_eq!(big.grow(cap + 1), None);
        // A minimum past the cap is reserved as it is (the kernel permitting: 16 TiB here).
        let huge = LinearMemory::new(ty(1 << 28, None)).unwrap();
        assert_eq!(huge.grow(1), None);
        // 2^48 pages are 2^64 bytes: no address space holds them.
        let hostile = LinearMemory::new(ty(1 << 48, None)).err().unwrap();
        assert!(
            hostile.contains("cannot reserve address space for a linear memory of"),
            "{hostile}"
        );
    }

    fn mem32(min: u64, max: Option<u64>) -> MemoryType {
        MemoryType {
            limits: Limits { min, max },
            memory64: false,
            shared: false,
        }
    }
}
