//! Checked access to the calling instance's linear memory.
//!
//! SANDBOX-CRITICAL (two reviews please): every guest pointer a WASI function receives goes
//! through [`Guest`], which checks `ptr + len` (in 64 bits, so it never wraps) against the
//! memory's current length and the alignment of typed pointers. As in wasmtime, a bad
//! pointer ends the program (an [`errno::TRAP`]); a host calling a WASI function directly
//! gets `EFAULT` (out of bounds) or `EINVAL` (misaligned) instead. An empty byte range is
//! valid anywhere.
//!
//! WASI functions never add to a guest pointer themselves: a structure is read and written
//! through a [`View`] (its fields by offset inside one checked range), and walking an array
//! or a buffer goes through [`advance`], which ends the program on a pointer past 4 GiB
//! exactly as wasmtime's pointer arithmetic does ("pointer overflow"), even when the
//! wrapped pointer would never be dereferenced.

use kiln_abi::vmctx::VmCtx;

use super::errno::{self, Errno, FAULT, INVAL};

/// How many bytes one WASI call may copy (wasmtime's default host-call fuel); more is `ENOMEM`.
pub const HOSTCALL_FUEL: u64 = 128 << 20;

/// One past the highest address a 32-bit guest pointer can name.
const ADDRESS_SPACE: u64 = 1 << 32;

/// `ptr + by` as a guest pointer, or the end of the program when it passes 4 GiB.
pub fn advance(ptr: u32, by: u64) -> Result<u32, Errno> {
    u32::try_from(u64::from(ptr) + by).map_err(|_| overflow(ptr, by))
}

fn overflow(ptr: u32, len: u64) -> Errno {
    errno::trap(
        format!("pointer overflow: guest address {ptr:#x}, length {len}"),
        FAULT,
    )
}

/// The linear memory of the instance that called a WASI function.
pub struct Guest {
    base: *mut u8,
    len: u64,
}

impl Guest {
    /// # Safety
    /// `vmctx` is the live context of the calling instance.
    pub unsafe fn new(vmctx: *mut VmCtx) -> Guest {
        // SAFETY: the caller's contract; a module without memory has a null `memory`.
        unsafe {
            let v = &*vmctx;
            if v.memory.is_null() {
                Guest {
                    base: std::ptr::null_mut(),
                    len: 0,
                }
            } else {
                // Atomically: another thread may be growing a shared memory. A length
                // read now only grows later, so checks against it stay safe.
                let len = std::sync::atomic::AtomicU64::from_ptr(&raw mut (*v.memory).length);
                Guest {
                    base: v.memory_base,
                    len: len.load(std::sync::atomic::Ordering::Acquire),
                }
            }
        }
    }

    /// A guest memory built from raw parts (tests).
    ///
    /// # Safety
    /// `[base, base + len)` is valid for reads and writes while the `Guest` is used.
    pub unsafe fn from_raw(base: *mut u8, len: u64) -> Guest {
        Guest { base, len }
    }

    fn check(&self, ptr: u32, len: u64) -> Result<usize, Errno> {
        let end = u64::from(ptr).saturating_add(len);
        if len > 0 && end > ADDRESS_SPACE {
            return Err(overflow(ptr, len));
        }
        if len > 0 && end > self.len {
            return Err(errno::trap(
                format!("pointer out of bounds: guest address {ptr:#x}, length {len}"),
                FAULT,
            ));
        }
        Ok(ptr as usize)
    }

    fn check_aligned(&self, ptr: u32, len: u64, align: u32) -> Result<usize, Errno> {
        let p = self.check(ptr, len)?;
        if !ptr.is_multiple_of(align) {
            return Err(errno::trap(
                format!("pointer not aligned to {align}: guest address {ptr:#x}"),
                INVAL,
            ));
        }
        Ok(p)
    }

    /// `len` bytes at `ptr`. The slice must not outlive the WASI call.
    #[allow(clippy::mut_from_ref, reason = "guest memory is shared mutable state")]
    pub fn bytes(&self, ptr: u32, len: u32) -> Result<&mut [u8], Errno> {
        let p = self.check(ptr, u64::from(len))?;
        if len == 0 {
            return Ok(&mut []);
        }
        // SAFETY: in bounds of the accessible memory (checked).
        Ok(unsafe { std::slice::from_raw_parts_mut(self.base.add(p), len as usize) })
    }

    pub fn read_u32(&self, ptr: u32) -> Result<u32, Errno> {
        let p = self.check_aligned(ptr, 4, 4)?;
        // SAFETY: checked.
        Ok(u32::from_le(unsafe {
            self.base.add(p).cast::<u32>().read()
        }))
    }

    pub fn read_u64(&self, ptr: u32) -> Result<u64, Errno> {
        let p = self.check_aligned(ptr, 8, 8)?;
        // SAFETY: checked.
        Ok(u64::from_le(unsafe {
            self.base.add(p).cast::<u64>().read()
        }))
    }

    pub fn write_u8(&self, ptr: u32, v: u8) -> Result<(), Errno> {
        let p = self.check(ptr, 1)?;
        // SAFETY: checked.
        unsafe { self.base.add(p).write(v) };
        Ok(())
    }

    pub fn write_u16(&self, ptr: u32, v: u16) -> Result<(), Errno> {
        let p = self.check_aligned(ptr, 2, 2)?;
        // SAFETY: checked.
        unsafe { self.base.add(p).cast::<u16>().write(v.to_le()) };
        Ok(())
    }

    pub fn write_u32(&self, ptr: u32, v: u32) -> Result<(), Errno> {
        let p = self.check_aligned(ptr, 4, 4)?;
        // SAFETY: checked.
        unsafe { self.base.add(p).cast::<u32>().write(v.to_le()) };
        Ok(())
    }

    pub fn write_u64(&self, ptr: u32, v: u64) -> Result<(), Errno> {
        let p = self.check_aligned(ptr, 8, 8)?;
        // SAFETY: checked.
        unsafe { self.base.add(p).cast::<u64>().write(v.to_le()) };
        Ok(())
    }

    /// The structure of `size` bytes with alignment `align` at `ptr`, checked as a whole.
    pub fn structure(&self, ptr: u32, size: u32, align: u32) -> Result<View<'_>, Errno> {
        let at = self.check_aligned(ptr, u64::from(size), align)?;
        Ok(View {
            guest: self,
            at,
            size: size as usize,
        })
    }

    /// One iovec (or ciovec): `(buf, len)`, the 8 bytes at `at` checked together.
    fn iovec(&self, at: u32) -> Result<(u32, u32), Errno> {
        let v = self.structure(at, 8, 4)?;
        Ok((v.u32(0), v.u32(4)))
    }

    /// Reads an iovec array: (buf, len) pairs. The array and each buffer are
    /// bounds-checked; an array larger than the per-call limit is `ENOMEM`.
    pub fn iovecs(&self, iovs: u32, count: u32) -> Result<Vec<(u32, u32)>, Errno> {
        if u64::from(count) * 8 > HOSTCALL_FUEL {
            return Err(errno::NOMEM);
        }
        self.check_aligned(iovs, u64::from(count) * 8, 4)?;
        let mut v = Vec::with_capacity(count as usize);
        let mut at = iovs;
        for i in 0..count {
            if i > 0 {
                at = advance(at, 8)?;
            }
            let (buf, len) = self.iovec(at)?;
            self.check(buf, u64::from(len))?;
            v.push((buf, len));
        }
        Ok(v)
    }

    /// The first non-empty buffer of an iovec array, `(0, 0)` if all are empty (as
    /// wasmtime: one buffer per call). Its bounds are not checked yet; a buffer larger
    /// than wasmtime's per-call limit is `ENOMEM`.
    pub fn first_iovec(&self, iovs: u32, count: u32) -> Result<(u32, u32), Errno> {
        if u64::from(count) * 8 > HOSTCALL_FUEL {
            return Err(errno::NOMEM);
        }
        let mut at = iovs;
        for i in 0..count {
            if i > 0 {
                at = advance(at, 8)?;
            }
            let (buf, len) = self.iovec(at)?;
            if len == 0 {
                continue;
            }
            if u64::from(len) > HOSTCALL_FUEL {
                return Err(errno::NOMEM);
            }
            return Ok((buf, len));
        }
        Ok((0, 0))
    }

    /// Copies `src` to `ptr` (bounds-checked).
    pub fn write_bytes(&self, ptr: u32, src: &[u8]) -> Result<(), Errno> {
        let len = u32::try_from(src.len()).map_err(|_| errno::OVERFLOW)?;
        self.bytes(ptr, len)?.copy_from_slice(src);
        Ok(())
    }
}

/// A checked structure in guest memory: its fields are read and written by offset, and an
/// offset past the structure is a bug in the WASI function (a panic), never a guest access
/// outside the range [`Guest::structure`] checked.
pub struct View<'g> {
    guest: &'g Guest,
    at: usize,
    size: usize,
}

impl View<'_> {
    fn field<const N: usize>(&self, off: usize) -> *mut [u8; N] {
        assert!(
            off + N <= self.size,
            "field {off}+{N} of a {}-byte structure",
            self.size
        );
        // SAFETY: inside the range checked when the view was made.
        unsafe { self.guest.base.add(self.at + off).cast() }
    }

    pub fn u8(&self, off: usize) -> u8 {
        // SAFETY: `field` points into checked guest memory; unaligned reads are fine.
        unsafe { self.field::<1>(off).read()[0] }
    }

    pub fn u16(&self, off: usize) -> u16 {
        // SAFETY: as above.
        u16::from_le_bytes(unsafe { self.field::<2>(off).read() })
    }

    pub fn u32(&self, off: usize) -> u32 {
        // SAFETY: as above.
        u32::from_le_bytes(unsafe { self.field::<4>(off).read() })
    }

    pub fn u64(&self, off: usize) -> u64 {
        // SAFETY: as above.
        u64::from_le_bytes(unsafe { self.field::<8>(off).read() })
    }

    pub fn set_u32(&self, off: usize, v: u32) {
        // SAFETY: as above, for writes.
        unsafe { self.field::<4>(off).write(v.to_le_bytes()) }
    }

    pub fn set_u64(&self, off: usize, v: u64) {
        // SAFETY: as above, for writes.
        unsafe { self.field::<8>(off).write(v.to_le_bytes()) }
    }

    /// Writes `src` at `off`.
    pub fn write(&self, off: usize, src: &[u8]) {
        assert!(
            off + src.len() <= self.size,
            "{} bytes at {off} of {}",
            src.len(),
            self.size
        );
        // SAFETY: inside the checked range; `src` is host memory, so they do not overlap.
        unsafe {
            std::ptr::copy_nonoverlapping(
                src.as_ptr(),
                self.guest.base.add(self.at + off),
                src.len(),
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounds_and_alignment() {
        let mut mem = vec![0u64; 8];
        // SAFETY: 64 bytes of test memory.
        let g = unsafe { Guest::from_raw(mem.as_mut_ptr().cast(), 64) };
        assert!(g.write_u32(60, 1).is_ok());
        assert_eq!(g.write_u32(61, 1), Err(errno::TRAP));
        assert_eq!(g.write_u32(62, 1), Err(errno::TRAP));
        assert_eq!(g.write_u32(2, 1), Err(errno::TRAP));
        assert_eq!(g.bytes(60, 5).err(), Some(errno::TRAP));
        assert_eq!(g.bytes(64, 0).map(|b| b.len()), Ok(0));
        assert_eq!(g.bytes(u32::MAX, 0).map(|b| b.len()), Ok(0));
        assert_eq!(errno::take_trap().1, FAULT);
        assert_eq!(g.bytes(u32::MAX, 2).err(), Some(errno::TRAP));
        g.write_u64(8, 0x1122334455667788).unwrap();
        assert_eq!(g.read_u64(8), Ok(0x1122334455667788));
        assert_eq!(g.read_u32(8), Ok(0x55667788));
        g.write_u32(16, 40).unwrap();
        g.write_u32(20, 30).unwrap();
        assert_eq!(g.iovecs(16, 1), Err(errno::TRAP));
        g.write_u32(20, 24).unwrap();
        assert_eq!(g.iovecs(16, 1), Ok(vec![(40, 24)]));
    }

    /// A 4 GiB guest memory, reserved without backing (only touched pages are allocated).
    struct Full(*mut u8);

    impl Full {
        fn new() -> Full {
            // SAFETY: a fresh anonymous mapping.
            let p = unsafe {
                libc::mmap(
                    std::ptr::null_mut(),
                    1 << 32,
                    libc::PROT_READ | libc::PROT_WRITE,
                    libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_NORESERVE,
                    -1,
                    0,
                )
            };
            assert_ne!(p, libc::MAP_FAILED);
            Full(p.cast())
        }

        fn guest(&self) -> Guest {
            // SAFETY: the mapping is 4 GiB and outlives the test's `Guest`.
            unsafe { Guest::from_raw(self.0, 1 << 32) }
        }
    }

    impl Drop for Full {
        fn drop(&mut self) {
            // SAFETY: unmapping our own mapping.
            unsafe { libc::munmap(self.0.cast(), 1 << 32) };
        }
    }

    fn trap_message() -> String {
        errno::take_trap().0
    }

    #[test]
    fn nothing_wraps_at_the_4_gib_end() {
        let full = Full::new();
        let g = full.guest();
        // The last word and the last 8-byte structure are in bounds.
        g.write_u32(0xffff_fffc, 7).unwrap();
        assert_eq!(g.read_u32(0xffff_fffc), Ok(7));
        assert!(g.structure(0xffff_fff8, 8, 4).is_ok());
        // An iovec starting 4 bytes before the end: its length field would be at 0.
        g.write_u32(0, 99).unwrap();
        assert_eq!(g.first_iovec(0xffff_fffc, 1), Err(errno::TRAP));
        assert!(trap_message().contains("pointer overflow"));
        assert_eq!(g.iovecs(0xffff_fffc, 1), Err(errno::TRAP));
        assert!(trap_message().contains("pointer overflow"));
        // The second iovec of an array at the end wraps only when it is reached.
        g.write_u32(0xffff_fff8, 16).unwrap();
        g.write_u32(0xffff_fffc, 3).unwrap();
        assert_eq!(g.first_iovec(0xffff_fff8, 2), Ok((16, 3)));
        g.write_u32(0xffff_fffc, 0).unwrap();
        assert_eq!(g.first_iovec(0xffff_fff8, 2), Err(errno::TRAP));
        assert!(trap_message().contains("pointer overflow"));
        // Buffers: exactly to the end is fine, one byte more overflows, never address 0.
        assert_eq!(g.bytes(0xffff_fff0, 16).map(|b| b.len()), Ok(16));
        assert_eq!(g.bytes(0xffff_fff0, 17).err(), Some(errno::TRAP));
        assert!(trap_message().contains("pointer overflow"));
        assert_eq!(g.bytes(u32::MAX, u32::MAX).err(), Some(errno::TRAP));
        assert_eq!(advance(0xffff_fff0, 15), Ok(0xffff_ffff));
        assert_eq!(advance(0xffff_fff0, 16), Err(errno::TRAP));
        assert_eq!(advance(u32::MAX, u64::from(u32::MAX)), Err(errno::TRAP));
        // Huge arrays are refused before they are read or allocated.
        assert_eq!(g.first_iovec(0, u32::MAX), Err(errno::NOMEM));
        assert_eq!(g.iovecs(0, u32::MAX), Err(errno::NOMEM));
        errno::take_trap();
    }

    #[test]
    fn a_view_stays_inside_its_structure() {
        let full = Full::new();
        let g = full.guest();
        let v = g.structure(0xffff_ffe0, 32, 8).unwrap();
        v.set_u64(24, 0x0102_0304_0506_0708);
        v.set_u32(0, 5);
        assert_eq!(v.u64(24), 0x0102_0304_0506_0708);
        assert_eq!((v.u32(0), v.u8(31), v.u16(30)), (5, 1, 0x0102));
        assert_eq!(g.structure(0xffff_ffe8, 32, 8).err(), Some(errno::TRAP));
        assert_eq!(g.structure(0xffff_ffe4, 8, 8).err(), Some(errno::TRAP));
        assert_eq!(errno::take_trap().1, INVAL);
        let outside = std::panic::catch_unwind(|| v.u32(29));
        assert!(outside.is_err());
    }
}
