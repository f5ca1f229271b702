//! Linear memory constants. The compiler relies on them to emit loads and stores with no
//! bounds checks; the runtime relies on them to reserve enough address space.
//!
//! A wasm32 address is `base + zext(i32 index) + offset` with a `u32` static offset and an
//! access of at most 16 bytes, so every address lies below `base + 2^32 + 2^32 + 16`.
//! Reserving that much (inaccessible beyond the current size) means the MMU performs every
//! bounds check: an access beyond the memory's length lands in a `PROT_NONE` page and
//! faults, and the runtime turns that fault into `out of bounds memory access`.
//! THIS IS THE SANDBOX: shrinking these numbers requires explicit checks in the compiler.

/// Bytes in one wasm page.
pub const WASM_PAGE_SIZE: u64 = 65536;
/// The most pages a 32-bit memory can have (4 GiB).
pub const MAX_WASM_PAGES: u64 = 65536;
/// Address space that may hold accessible memory: the whole 32-bit range.
pub const RESERVATION_BYTES: u64 = 1 << 32;
/// Inaccessible address space after the reservation: covers any `u32` static offset plus
/// the widest access, so no access needs a check.
pub const GUARD_BYTES: u64 = (1 << 32) + WASM_PAGE_SIZE;
/// Total address space reserved per linear memory.
pub const TOTAL_BYTES: u64 = RESERVATION_BYTES + GUARD_BYTES;
