//! `random_get`: bytes from the host's CSPRNG.

use kiln_abi::vmctx::VmCtx;

use super::ctx::with;
use super::errno;

pub(crate) extern "C" fn random_get(vmctx: *mut VmCtx, buf: u32, len: u32) -> u32 {
    // SAFETY: called by compiled code with its vmctx.
    unsafe {
        with(vmctx, |_, mem| {
            let out = mem.bytes(buf, len)?;
            let mut done = 0;
            while done < out.len() {
                let n = libc::getrandom(out[done..].as_mut_ptr().cast(), out.len() - done, 0);
                if n < 0 {
                    let e = errno::last();
                    if e == errno::from_host(libc::EINTR) {
                        continue;
                    }
                    return Err(e);
                }
                done += n as usize;
            }
            Ok(())
        })
    }
}
