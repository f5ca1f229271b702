//! Kiln's runtime: linked into every executable Kiln produces (staticlib) and used by test
//! harnesses through the embedding API (rlib).
//!
//! It owns linear memory ([`memory`]), tables, instantiation ([`instance`]), the builtins
//! compiled code calls ([`builtins`]), trap handling and reports ([`traps`]), the native
//! stack budget ([`stack`]), WASI preview1 ([`wasi`]) and, with the `exe` feature, the
//! process entry (`entry`).

pub mod builtins;
pub mod embed;
mod instance;
pub mod memory;
mod module;
pub mod stack;
pub mod table;
pub mod traps;
mod types;
pub mod wasi;

// Also in unit tests (without `main`), so `cargo test` runs entry's own tests.
#[cfg(any(feature = "exe", test))]
pub mod entry;

/// Size of a global slot and of the vmctx header unit (`kiln_abi::vmctx`).
pub(crate) const GLOBAL_SLOT: usize = kiln_abi::vmctx::GLOBAL_SLOT_SIZE as usize;
const _: () = assert!(kiln_abi::vmctx::OFFSET_DEFINED_GLOBALS as usize == 5 * GLOBAL_SLOT);

pub use embed::{
    builtin_address, Extern, Func, Global, Instance, InstantiateError, Memory, Module, Table, Trap,
    Unwind, Val,
};
pub use wasi::WasiCtx;

#[cfg(test)]
mod mock_tests;
