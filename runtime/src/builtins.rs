//! The `kiln_rt_*` builtins compiled code calls, one `extern "C" fn` per entry of
//! `kiln_abi::foreach_builtin!`; a compile-time assertion below checks each one's type
//! against its entry. Fallible ones return nonzero on failure and the compiled code raises
//! the trap; every bounds check happens before any write (bulk-memory semantics).

use std::ptr;

use kiln_abi::builtin::Builtin;
use kiln_abi::vmctx::VmCtx;

// The exception builtins live with the unwinder.
use crate::exceptions::{kiln_rt_exn_new, kiln_rt_throw_ref};
use crate::instance::{from_vmctx, InstanceInner};
use crate::memmove::memmove;
use crate::memory::LinearMemory;
use crate::wait;

/// Asserts that every builtin has the exact type of its `foreach_builtin!` entry: a
/// parameter or result of another type, one too many or too few, or a missing function
/// fails to compile. Also gives each builtin's address, for the in-process loader.
macro_rules! check_and_address_builtins {
    ($(
        $(#[$doc:meta])*
        $variant:ident = $symbol:ident($($param:ident: $ty:ty),* $(,)?) $(-> $result:ty)?;
    )*) => {
        $(
            const _: unsafe extern "C" fn(*mut VmCtx, $($ty),*) $(-> $result)? = $symbol;
        )*

        /// The address of `builtin`'s definition.
        pub fn address_of(builtin: Builtin) -> usize {
            match builtin {
                $(Builtin::$variant => $symbol as *const () as usize,)*
            }
        }
    };
}

kiln_abi::foreach_builtin!(check_and_address_builtins);

/// # Safety
/// Called by compiled code with its own live vmctx.
unsafe fn inst<'a>(vmctx: *mut VmCtx) -> &'a InstanceInner {
    // SAFETY: the caller's contract: compiled code passes its own live vmctx.
    unsafe { from_vmctx(vmctx) }
}

fn memory(i: &InstanceInner, index: u32) -> Option<&LinearMemory> {
    i.memory(index)
}

/// Whether `[start, start + len)` lies within `size`, without overflow.
fn in_bounds(start: u64, len: u64, size: u64) -> bool {
    start.checked_add(len).is_some_and(|end| end <= size)
}

/// An in-bounds offset or length as a `usize` (it is below a mapped length).
fn host(v: u64) -> usize {
    usize::try_from(v).expect("checked against a length mapped in this process")
}

/// # Safety
/// Compiled code only.
#[no_mangle]
pub unsafe extern "C" fn kiln_rt_memory_grow(vmctx: *mut VmCtx, mem: u32, delta: u64) -> u64 {
    // SAFETY: compiled code passes its vmctx.
    let i = unsafe { inst(vmctx) };
    memory(i, mem)
        .and_then(|m| m.grow(delta))
        .unwrap_or(u64::MAX)
}

/// # Safety
/// Compiled code only, with `[dst, dst + len)` inside an accessible memory.
#[no_mangle]
pub unsafe extern "C" fn kiln_rt_memset(_vmctx: *mut VmCtx, dst: u64, val: u32, len: u64) {
    #[expect(
        clippy::cast_possible_truncation,
        reason = "memory.fill stores the low byte of its i32 value (wasm semantics)"
    )]
    let byte = val as u8;
    // SAFETY: the caller's contract.
    unsafe { ptr::write_bytes(host(dst) as *mut u8, byte, host(len)) };
}

/// # Safety
/// Compiled code only, with both ranges inside accessible memories.
#[no_mangle]
pub unsafe extern "C" fn kiln_rt_memmove(_vmctx: *mut VmCtx, dst: u64, src: u64, len: u64) {
    // SAFETY: the caller's contract; `memmove` handles overlap (the two memories may be
    // one).
    unsafe { memmove(host(dst) as *mut u8, host(src) as *const u8, host(len)) };
}

/// # Safety
/// Compiled code only.
#[no_mangle]
pub unsafe extern "C" fn kiln_rt_memory_init(
    vmctx: *mut VmCtx,
    mem: u32,
    seg: u32,
    dst: u64,
    src: u32,
    len: u32,
) -> u32 {
    // SAFETY: compiled code passes its vmctx.
    let i = unsafe { inst(vmctx) };
    // SAFETY: single-threaded; no other borrow of the segments is live.
    let data: &[u8] = unsafe { i.data_segments() }
        .get(seg as usize)
        .copied()
        .unwrap_or(&[]);
    let Some(m) = memory(i, mem) else { return 1 };
    let (src, len) = (u64::from(src), u64::from(len));
    if !in_bounds(src, len, data.len() as u64) || !in_bounds(dst, len, m.byte_len()) {
        return 1;
    }
    // SAFETY: both ranges checked; segment bytes never alias linear memory.
    unsafe {
        ptr::copy_nonoverlapping(
            data.as_ptr().add(host(src)),
            m.base().add(host(dst)),
            host(len),
        )
    };
    0
}

/// # Safety
/// Compiled code only.
#[no_mangle]
pub unsafe extern "C" fn kiln_rt_data_drop(vmctx: *mut VmCtx, seg: u32) {
    // SAFETY: compiled code passes its vmctx; single-threaded segment access.
    unsafe {
        if let Some(s) = inst(vmctx).data_segments().get_mut(seg as usize) {
            *s = &[];
        }
    }
}

/// # Safety
/// Compiled code only.
#[no_mangle]
pub unsafe extern "C" fn kiln_rt_table_grow(
    vmctx: *mut VmCtx,
    table: u32,
    init: u64,
    delta: u64,
) -> u64 {
    // SAFETY: compiled code passes its vmctx.
    let i = unsafe { inst(vmctx) };
    let t = i.table(table);
    let Ok(delta) = u32::try_from(delta) else {
        return u64::MAX; // no table reaches u32::MAX elements
    };
    match t.grow(delta, init) {
        Some(old) => {
            if init != 0 && delta != 0 {
                t.keep_alive(&i.as_any());
            }
            u64::from(old)
        }
        None => u64::MAX,
    }
}

/// # Safety
/// Compiled code only.
#[no_mangle]
pub unsafe extern "C" fn kiln_rt_table_fill(
    vmctx: *mut VmCtx,
    table: u32,
    dst: u64,
    val: u64,
    len: u64,
) -> u32 {
    // SAFETY: compiled code passes its vmctx.
    let i = unsafe { inst(vmctx) };
    let t = i.table(table);
    if !in_bounds(dst, len, u64::from(t.len())) {
        return 1;
    }
    t.elems()[host(dst)..host(dst + len)].fill(val);
    if val != 0 && len != 0 {
        t.keep_alive(&i.as_any());
    }
    0
}

/// # Safety
/// Compiled code only.
#[no_mangle]
pub unsafe extern "C" fn kiln_rt_table_copy(
    vmctx: *mut VmCtx,
    dst_table: u32,
    src_table: u32,
    dst: u64,
    src: u64,
    len: u64,
) -> u32 {
    // SAFETY: compiled code passes its vmctx.
    let i = unsafe { inst(vmctx) };
    let (d, s) = (i.table(dst_table), i.table(src_table));
    if !in_bounds(dst, len, u64::from(d.len())) || !in_bounds(src, len, u64::from(s.len())) {
        return 1;
    }
    let (dst, src, len) = (host(dst), host(src), host(len));
    if ptr::eq(d, s) {
        d.elems().copy_within(src..src + len, dst);
    } else {
        d.elems()[dst..dst + len].copy_from_slice(&s.elems()[src..src + len]);
        d.keep_alive_from(s);
    }
    0
}

/// # Safety
/// Compiled code only.
#[no_mangle]
pub unsafe extern "C" fn kiln_rt_table_init(
    vmctx: *mut VmCtx,
    table: u32,
    seg: u32,
    dst: u64,
    src: u32,
    len: u32,
) -> u32 {
    // SAFETY: compiled code passes its vmctx.
    let i = unsafe { inst(vmctx) };
    let t = i.table(table);
    // SAFETY: single-threaded; no other borrow of the segments is live.
    let items: &[u64] = unsafe {
        (&*i.elem_segments.get())
            .get(seg as usize)
            .map_or(&[], |v| v)
    };
    let (src, len) = (u64::from(src), u64::from(len));
    if !in_bounds(src, len, items.len() as u64) || !in_bounds(dst, len, u64::from(t.len())) {
        return 1;
    }
    let (dst, src, len) = (host(dst), host(src), host(len));
    t.elems()[dst..dst + len].copy_from_slice(&items[src..src + len]);
    if len != 0 {
        t.keep_alive(&i.as_any());
    }
    0
}

/// # Safety
/// Compiled code only.
#[no_mangle]
pub unsafe extern "C" fn kiln_rt_elem_drop(vmctx: *mut VmCtx, seg: u32) {
    // SAFETY: compiled code passes its vmctx; single-threaded segment access.
    unsafe {
        if let Some(s) = (&mut *inst(vmctx).elem_segments.get()).get_mut(seg as usize) {
            *s = Vec::new();
        }
    }
}

/// The native address of the `size`-byte cell at `addr` of shared memory `mem`, for the
/// wait and notify builtins. The compiled code has already trapped on a memory that is not
/// shared (for `wait`), an unaligned `addr` and one out of bounds, so a failure here is a
/// compiler bug: it ends the process rather than touch memory it must not.
fn shared_cell(i: &InstanceInner, mem: u32, addr: u64, size: u64) -> *mut u8 {
    let m = memory(i, mem).filter(|m| m.is_shared());
    match m {
        Some(m) if addr.is_multiple_of(size) && in_bounds(addr, size, m.byte_len()) => {
            // SAFETY: in bounds of the accessible memory.
            unsafe { m.base().add(host(addr)) }
        }
        _ => {
            eprintln!(
                "kiln: internal error: atomic wait/notify at {addr:#x} of memory {mem} was not \
                 checked by the compiled code"
            );
            std::process::abort()
        }
    }
}

/// # Safety
/// Compiled code only.
#[no_mangle]
pub unsafe extern "C" fn kiln_rt_memory_atomic_wait32(
    vmctx: *mut VmCtx,
    mem: u32,
    addr: u64,
    expected: u32,
    timeout: u64,
) -> u32 {
    // SAFETY: compiled code passes its vmctx.
    let i = unsafe { inst(vmctx) };
    let cell = shared_cell(i, mem, addr, 4);
    let timeout = wait::timeout_from_nanos(timeout.cast_signed());
    // SAFETY: an aligned cell in a live shared memory (the instance holds it).
    unsafe { wait::wait32(cell, expected, timeout) as u32 }
}

/// # Safety
/// Compiled code only.
#[no_mangle]
pub unsafe extern "C" fn kiln_rt_memory_atomic_wait64(
    vmctx: *mut VmCtx,
    mem: u32,
    addr: u64,
    expected: u64,
    timeout: u64,
) -> u32 {
    // SAFETY: compiled code passes its vmctx.
    let i = unsafe { inst(vmctx) };
    let cell = shared_cell(i, mem, addr, 8);
    let timeout = wait::timeout_from_nanos(timeout.cast_signed());
    // SAFETY: as in `kiln_rt_memory_atomic_wait32`.
    unsafe { wait::wait64(cell, expected, timeout) as u32 }
}

/// # Safety
/// Compiled code only.
#[no_mangle]
pub unsafe extern "C" fn kiln_rt_memory_atomic_notify(
    vmctx: *mut VmCtx,
    mem: u32,
    addr: u64,
    count: u32,
) -> u32 {
    // SAFETY: compiled code passes its vmctx.
    let i = unsafe { inst(vmctx) };
    wait::notify(shared_cell(i, mem, addr, 4), count)
}

/// The address of the builtin whose symbol is `name`.
pub fn address(name: &str) -> Option<usize> {
    Builtin::from_symbol(name).map(address_of)
}

#[cfg(test)]
mod tests {
    use kiln_abi::builtin::Builtin;

    #[test]
    fn every_builtin_has_a_distinct_address() {
        let mut seen = std::collections::HashSet::new();
        for b in Builtin::ALL {
            assert!(
                seen.insert(super::address(b.symbol()).expect("defined")),
                "{b:?}"
            );
        }
    }
}
