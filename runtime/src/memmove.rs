//! `memory.copy`'s byte mover.
//!
//! The C library's `memmove` serves long copies well, but musl's (the C library of Kiln's
//! default target) starts every copy with `rep movsq` and ends it with a `movsb` loop,
//! tens of cycles whatever the length. Most copies that compiled Rust and C++ make are a
//! few bytes to a few hundred (a `String` pushed, a value moved): `rust-collections` spent
//! 18% of its time in musl's `memcpy`. So copies up to [`INLINE_MAX`] bytes are done here
//! with 16-byte (or narrower) unaligned moves, and only longer ones reach the C library.

use std::ptr;

/// The longest copy done here; beside longer ones the C library's start-up cost is small.
const INLINE_MAX: usize = 256;

type Chunk = [u8; 16];

/// `memmove(dst, src, len)`: the two ranges may overlap.
///
/// # Safety
/// `[src, src + len)` must be readable and `[dst, dst + len)` writable.
pub(crate) unsafe fn memmove(dst: *mut u8, src: *const u8, len: usize) {
    // SAFETY (every block below): each access lies within the two ranges of the contract,
    // and every byte a move stores is loaded before any store that could overwrite it.
    unsafe {
        match len {
            0 => {}
            1 => *dst = *src,
            2..=3 => pair::<u16>(dst, src, len),
            4..=7 => pair::<u32>(dst, src, len),
            8..=16 => pair::<u64>(dst, src, len),
            17..=32 => pair::<Chunk>(dst, src, len),
            33..=INLINE_MAX => chunks(dst, src, len),
            _ => ptr::copy(src, dst, len),
        }
    }
}

/// A copy of `size_of::<T>()..=2 * size_of::<T>()` bytes as two possibly overlapping moves
/// of a `T`, the first and the last `size_of::<T>()` bytes, both loaded before either is
/// stored.
unsafe fn pair<T: Copy>(dst: *mut u8, src: *const u8, len: usize) {
    let last = len - size_of::<T>();
    // SAFETY: the caller's: `size_of::<T>() <= len`, both ranges valid for `len` bytes.
    unsafe {
        let head = ptr::read_unaligned(src.cast::<T>());
        let tail = ptr::read_unaligned(src.add(last).cast::<T>());
        ptr::write_unaligned(dst.cast::<T>(), head);
        ptr::write_unaligned(dst.add(last).cast::<T>(), tail);
    }
}

/// A copy of more than 32 bytes in 16-byte moves, in the direction that reads each source
/// byte before the copy overwrites it: forwards unless `dst` lies inside `(src, src + len)`.
/// The move that runs past a multiple of 16 is the other end's 16 bytes, loaded first.
unsafe fn chunks(dst: *mut u8, src: *const u8, len: usize) {
    let forwards = (dst as usize).wrapping_sub(src as usize) >= len;
    // SAFETY: the caller's: `len > 32`, both ranges valid for `len` bytes. Forwards, the
    // stores so far end at `dst + i <= src + i`, below every later load; backwards they
    // start at `dst + i + 16 > src + i + 16`, above every later load.
    unsafe {
        let chunk = |i: usize| ptr::read_unaligned(src.add(i).cast::<Chunk>());
        let put = |i: usize, c: Chunk| ptr::write_unaligned(dst.add(i).cast::<Chunk>(), c);
        if forwards {
            let tail = chunk(len - 16);
            let mut i = 0;
            while i + 16 < len {
                put(i, chunk(i));
                i += 16;
            }
            put(len - 16, tail);
        } else {
            let head = chunk(0);
            let mut i = len;
            while i > 16 {
                i -= 16;
                put(i, chunk(i));
            }
            put(0, head);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::memmove;

    /// Every length up to past [`super::INLINE_MAX`], at every relative position of the
    /// two ranges from far apart to overlapping by all but one byte either way, against
    /// `copy_within` (the standard library's `memmove`).
    #[test]
    fn moves_as_memmove_does() {
        const PAD: usize = 40;
        for len in 0..=super::INLINE_MAX + 40 {
            let size = len + 2 * PAD + 1;
            let base: Vec<u8> = (0..size).map(|i| (i * 7 + len).to_le_bytes()[0]).collect();
            for src in [0, PAD / 2, PAD, PAD + 1, 2 * PAD] {
                for dst in 0..=2 * PAD {
                    let mut want = base.clone();
                    want.copy_within(src..src + len, dst);
                    let mut got = base.clone();
                    let p = got.as_mut_ptr();
                    // SAFETY: both ranges lie within `got`.
                    unsafe { memmove(p.add(dst), p.add(src), len) };
                    assert_eq!(got, want, "len {len}, src {src}, dst {dst}");
                }
            }
        }
    }
}
