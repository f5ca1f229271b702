//! Checked access to the calling instance's linear memory.
//!
//! SANDBOX-CRITICAL (two reviews please): every guest pointer a WASI function receives goes
//! through [`Guest`], which checks `ptr + len` against the memory's current length
//! (`EFAULT`) and the alignment of typed pointers (`EINVAL`), as wasmtime does.

use kiln_abi::vmctx::VmCtx;

use super::errno::{Errno, FAULT, INVAL};

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
                Guest {
                    base: v.memory_base,
                    len: (*v.memory).length,
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
        if u64::from(ptr) + len > self.len {
            return Err(FAULT);
        }
        Ok(ptr as usize)
    }

    fn check_aligned(&self, ptr: u32, len: u64, align: u32) -> Result<usize, Errno> {
        let p = self.check(ptr, len)?;
        if !ptr.is_multiple_of(align) {
            return Err(INVAL);
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
        assert_eq!(g.write_u32(61, 1), Err(FAULT));
        assert_eq!(g.write_u32(62, 1), Err(FAULT));
        assert_eq!(g.write_u32(2, 1), Err(INVAL));
        assert_eq!(g.bytes(60, 5).err(), Some(FAULT));
        assert_eq!(g.bytes(64, 0).map(|b| b.len()), Ok(0));
        assert_eq!(g.bytes(u32::MAX, 2).err(), Some(FAULT));
        g.write_u64(8, 0x1122334455667788).unwrap();
        assert_eq!(g.read_u64(8), Ok(0x1122334455667788));
        assert_eq!(g.read_u32(8), Ok(0x55667788));
        g.write_u32(16, 40).unwrap();
        g.write_u32(20, 30).unwrap();
        assert_eq!(g.iovecs(16, 1), Err(FAULT));
        g.write_u32(20, 24).unwrap();
        assert_eq!(g.iovecs(16, 1), Ok(vec![(40, 24)]));
    }
}
