//! Linear memory constants. The compiler relies on them to emit loads and stores of 32-bit
//! memories with no bounds checks, and those of 64-bit memories with one compare; the
//! runtime relies on them to reserve enough address space.
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

/// The most pages a 64-bit memory can declare (2^48 pages: 2^64 bytes).
pub const MAX_WASM64_PAGES: u64 = 1 << 48;
/// The most address space a 64-bit memory reserves for its accessible part: its declared
/// maximum, but no more than this (64 GiB), so it cannot grow past it; one whose minimum is
/// larger reserves exactly its minimum.
pub const MEMORY64_MAX_RESERVATION: u64 = 1 << 36;
/// Inaccessible address space after a 64-bit memory's reservation. Accesses to a 64-bit
/// memory are checked explicitly (an index can be anything); when the static offset plus
/// the access size is at most this, comparing the index with the current length is enough:
/// the rest of the access lands in pages that fault.
pub const MEMORY64_GUARD_BYTES: u64 = 32 << 20;

/// Where an x86-64 executable's memory 0 is reserved, when it is a 32-bit memory
/// ([`crate::info::ModuleInfo::memory0_base`]): the compiled code has this address built in
/// instead of loading the base from the vmctx, so no register holds it. A load or store at
/// `index + offset` is then one instruction, `mov disp32(%index)`, with `disp32 = base +
/// offset` (sign-extended: the base is below 2 GiB). Above a static executable's text and
/// `brk` heap, and above where Valgrind puts itself (0x5800_0000); the reservation
/// ([`TOTAL_BYTES`]) ends at 0x2_6001_0000, far below where Linux places `mmap`s, shared
/// libraries, a PIE's image and the stack. Only one memory can be there, so only one
/// instance of such a module exists in a process (an executable); the runtime reserves it
/// with `MAP_FIXED_NOREPLACE` and refuses to run if the range is taken.
pub const FIXED_MEMORY0_BASE: u64 = 0x6000_0000;
