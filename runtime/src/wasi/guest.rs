//! Checked access to the calling instance's linear memory.
//!
//! SANDBOX-CRITICAL (two reviews please): every guest pointer a WASI function receives goes
//! through [`Guest`], which checks `ptr + len` against the memory's current length
//! and the alignment of typed pointers. As in wasmtime, a bad pointer ends the program
//! (an [`errno::TRAP`]); a host calling a WASI function directly gets `EFAULT` (out of
//! bounds) or `EINVAL` (misaligned) instead. An empty byte range is valid anywhere.

use kiln_abi::vmctx::VmCtx;

use super::errno::{self, Errno, FAULT, INVAL};

/// How many bytes one WASI call may copy (wasmtime's default host-call fuel); more is `ENOMEM`.
pub const HOSTCALL_FUEL: u64 = 128 << 20;

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
        if len > 0 && u64::from(ptr) + len > self.len {
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

    /// Checks that a struct of `size` bytes with alignment `align` fits at `ptr`.
    pub fn check_struct(&self, ptr: u32, size: u32, align: u32) -> Result<(), Errno> {
        self.check_aligned(ptr, u64::from(size), align).map(drop)
    }

    /// Reads an iovec array: (buf, len) pairs. Each buffer is bounds-checked.
    pub fn iovecs(&self, iovs: u32, count: u32) -> Result<Vec<(u32, u32)>, Errno> {
        self.check_aligned(iovs, u64::from(count) * 8, 4)?;
        let mut v = Vec::with_capacity(count as usize);
        for i in 0..count {
            let buf = self.read_u32(iovs + i * 8)?;
            let len = self.read_u32(iovs + i * 8 + 4)?;
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
        for i in 0..count {
            let at = iovs
                .checked_add(i * 8)
                .ok_or_else(|| errno::trap("pointer overflow".into(), FAULT))?;
            let buf = self.read_u32(at)?;
            let len = self.read_u32(at + 4)?;
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
}
