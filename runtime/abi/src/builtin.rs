//! The runtime builtins compiled code calls, as one typed list.
//!
//! `foreach_builtin!` is the list: each entry names a builtin, its symbol, and its
//! parameter and result types as Rust types. From it this crate derives [`Builtin`] (what
//! the compiler declares and calls, with [`Builtin::params`] and [`Builtin::results`] as
//! the native signature), and the runtime asserts at compile time that its
//! `extern "C" fn` of that symbol has exactly the type of its entry. Neither side writes a
//! builtin signature by hand.
//!
//! Every builtin is `extern "C" fn(vmctx, params...) -> results`. Those that can fail
//! return nonzero (or `u64::MAX` for the `grow`s) and the compiled code raises the trap,
//! so every trap comes from compiled code. `memory.fill` and `memory.copy` are checked by
//! the compiled code, which hands the builtin native addresses (as wasm2c does: a call
//! through the instance for every `memcpy` a program makes costs more than the copy).
//! The other builtins that touch a memory or a table take its index, so modules with
//! several memories or tables need no new builtins; addresses, lengths and sizes in a
//! memory or table are `u64` whatever its index type (the compiled code zero-extends `i32`
//! operands and truncates results), so 64-bit memories and tables need none either.

/// A builtin parameter or result type at the native ABI (the leading `vmctx` is implied).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AbiType {
    I32,
    I64,
}

/// The Rust types builtin entries are written with, and their native ABI types.
pub trait NativeType {
    const ABI: AbiType;
}

impl NativeType for u32 {
    const ABI: AbiType = AbiType::I32;
}

impl NativeType for u64 {
    const ABI: AbiType = AbiType::I64;
}

/// Calls `$mac! { ... }` with every builtin, one entry each:
///
/// ```text
/// /// docs
/// Variant = symbol(param: type, ...) -> result;
/// ```
///
/// Types are `u32` or `u64` (see [`NativeType`]); `-> result` is absent when the builtin
/// returns nothing. The runtime invokes it to check its definitions against the list.
#[macro_export]
macro_rules! foreach_builtin {
    ($mac:ident) => {
        $mac! {
            /// `memory.grow`: the old size in pages, or `u64::MAX` when the memory cannot
            /// grow by `delta` pages.
            MemoryGrow = kiln_rt_memory_grow(memory: u32, delta: u64) -> u64;
            /// `memory.fill`, after the compiled code has checked `[dst, dst + len)`
            /// against the memory's length: `dst` is the native address.
            MemSet = kiln_rt_memset(dst: u64, val: u32, len: u64);
            /// `memory.copy`, after the compiled code has checked both ranges against
            /// their memories' lengths: `dst` and `src` are native addresses; the ranges
            /// may overlap.
            MemMove = kiln_rt_memmove(dst: u64, src: u64, len: u64);
            /// `memory.init`: nonzero when either range is out of bounds.
            MemoryInit = kiln_rt_memory_init(
                memory: u32,
                segment: u32,
                dst: u64,
                src: u32,
                len: u32
            ) -> u32;
            /// `data.drop`.
            DataDrop = kiln_rt_data_drop(segment: u32);
            /// `table.grow` (`init` is a reference): the old length, or `u64::MAX`.
            TableGrow = kiln_rt_table_grow(table: u32, init: u64, delta: u64) -> u64;
            /// `table.fill` (`val` is a reference): nonzero when out of bounds.
            TableFill = kiln_rt_table_fill(table: u32, dst: u64, val: u64, len: u64) -> u32;
            /// `table.copy`: nonzero when either range is out of bounds.
            TableCopy = kiln_rt_table_copy(
                dst_table: u32,
                src_table: u32,
                dst: u64,
                src: u64,
                len: u64
            ) -> u32;
            /// `table.init`: nonzero when either range is out of bounds.
            TableInit = kiln_rt_table_init(
                table: u32,
                segment: u32,
                dst: u64,
                src: u32,
                len: u32
            ) -> u32;
            /// `elem.drop`.
            ElemDrop = kiln_rt_elem_drop(segment: u32);
            /// `memory.atomic.wait32` on a shared memory: 0 when woken, 1 when the cell
            /// did not hold `expected`, 2 when `timeout` (nanoseconds; negative: none)
            /// passed. The compiled code has checked `addr` (aligned and in bounds) and
            /// that the memory is shared.
            MemoryAtomicWait32 = kiln_rt_memory_atomic_wait32(
                memory: u32,
                addr: u64,
                expected: u32,
                timeout: u64
            ) -> u32;
            /// `memory.atomic.wait64`: as `wait32`, for an 8-byte cell.
            MemoryAtomicWait64 = kiln_rt_memory_atomic_wait64(
                memory: u32,
                addr: u64,
                expected: u64,
                timeout: u64
            ) -> u32;
            /// `memory.atomic.notify` on a shared memory: wakes at most `count` waiters on
            /// `addr` (checked by the compiled code), returns how many it woke.
            MemoryAtomicNotify = kiln_rt_memory_atomic_notify(
                memory: u32,
                addr: u64,
                count: u32
            ) -> u32;
            /// `throw`, first half: a new exception of tag `tag` (an index into the
            /// caller's tags) with room for its payload, which compiled code then stores.
            ExnNew = kiln_rt_exn_new(tag: u32) -> u64;
            /// `throw`, second half, and `throw_ref` (`exn` non-null): unwinds to the
            /// innermost handler that catches it, or ends the call into wasm with an
            /// uncaught exception. Never returns. Called with Cranelift's `tail`
            /// convention (see [`Builtin::throws`]).
            ThrowRef = kiln_rt_throw_ref(exn: u64);
        }
    };
}

macro_rules! declare_builtins {
    ($(
        $(#[$doc:meta])*
        $variant:ident = $symbol:ident($($param:ident: $ty:ty),* $(,)?) $(-> $result:ty)?;
    )*) => {
        /// A runtime builtin (see `foreach_builtin!` for each one's signature).
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum Builtin {
            $($(#[$doc])* $variant,)*
        }

        impl Builtin {
            /// Every builtin, in declaration order ([`Builtin::index`] is the position).
            pub const ALL: &'static [Builtin] = &[$(Builtin::$variant),*];

            /// The symbol compiled code calls and the runtime defines.
            pub const fn symbol(self) -> &'static str {
                match self {
                    $(Builtin::$variant => stringify!($symbol),)*
                }
            }

            /// The parameter types after `vmctx`.
            pub const fn params(self) -> &'static [AbiType] {
                match self {
                    $(Builtin::$variant => &[$(<$ty as NativeType>::ABI),*],)*
                }
            }

            /// The result types (none or one).
            pub const fn results(self) -> &'static [AbiType] {
                match self {
                    $(Builtin::$variant => &[$(<$result as NativeType>::ABI)?],)*
                }
            }
        }
    };
}

foreach_builtin!(declare_builtins);

impl Builtin {
    /// The position in [`Builtin::ALL`], for tables indexed by builtin.
    pub const fn index(self) -> usize {
        self as usize
    }

    /// Whether the builtin throws a wasm exception (and never returns). The compiler calls
    /// it with Cranelift's `tail` calling convention, the convention of every `try_call`
    /// callee, so that a handler in the calling function can catch what it throws; on
    /// x86-64 its two arguments are in the registers the C convention uses too (`rdi`,
    /// `rsi`), so the runtime defines it as an `extern "C"` entry.
    pub const fn throws(self) -> bool {
        matches!(self, Builtin::ThrowRef)
    }

    /// The builtin whose symbol is `name`.
    pub fn from_symbol(name: &str) -> Option<Builtin> {
        Builtin::ALL.iter().copied().find(|b| b.symbol() == name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_list_is_indexed_and_named_once() {
        for (i, b) in Builtin::ALL.iter().enumerate() {
            assert_eq!(b.index(), i);
            assert!(b.symbol().starts_with("kiln_rt_"), "{b:?}");
            assert_eq!(Builtin::from_symbol(b.symbol()), Some(*b));
        }
        assert_eq!(Builtin::from_symbol("kiln_rt_nothing"), None);
    }

    #[test]
    fn signatures_follow_the_entries() {
        use AbiType::{I32, I64};
        assert_eq!(Builtin::MemoryGrow.params(), &[I32, I64]);
        assert_eq!(Builtin::MemoryGrow.results(), &[I64]);
        assert_eq!(Builtin::TableGrow.params(), &[I32, I64, I64]);
        assert_eq!(Builtin::MemMove.params(), &[I64, I64, I64]);
        assert_eq!(Builtin::MemMove.results(), &[]);
        assert_eq!(Builtin::DataDrop.params(), &[I32]);
        assert_eq!(Builtin::DataDrop.results(), &[]);
    }
}
