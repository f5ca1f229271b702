//! `random_get`: bytes from the host's CSPRNG.

use kiln_abi::vmctx::VmCtx;

use super::ctx::{with, WasiCtx};
use super::errno::{self, Errno};
use super::guest::{advance, Guest};

/// The most bytes one `random_get` fills; more ends the program, as in wasmtime (whose
/// `get-random-bytes` refuses a request past 64 MiB).
pub const MAX_RANDOM: u32 = 64 << 20;

pub(crate) extern "C" fn random_get(vmctx: *mut VmCtx, buf: u32, len: u32) -> u32 {
    let call = |_: &mut WasiCtx, mem: &Guest| -> Result<(), Errno> {
        if len > MAX_RANDOM {
            return Err(errno::trap(
                format!("random_get: {len} bytes requested, more than the limit of {MAX_RANDOM}"),
                errno::NOMEM,
            ));
        }
        // wasmtime computes the end of the buffer as a guest pointer: one at 4 GiB overflows.
        advance(buf, len.into())?;
        let out = mem.bytes(buf, len)?;
        let mut done = 0;
        while done < out.len() {
            // SAFETY: fills at most `out.len() - done` bytes of `out[done..]`, guest memory
            // checked by `mem.bytes` and valid for writes.
            let n =
                unsafe { libc::getrandom(out[done..].as_mut_ptr().cast(), out.len() - done, 0) };
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
    };
    // SAFETY: compiled code calls host functions with its own live vmctx.
    unsafe { with(vmctx, call) }
}
