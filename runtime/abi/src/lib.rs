//! The contract between Kiln's compiler and its runtime.
//!
//! Everything both sides must agree on lives here and nowhere else: the layout of the
//! context every compiled function receives ([`vmctx`]), the symbols the object file
//! defines and references ([`symbols`]), the runtime builtins compiled code calls and their
//! signatures ([`builtin`]), trap codes ([`Trap`]), linear-memory constants
//! ([`memory`]), the module descriptor the compiler emits for the runtime to
//! instantiate from ([`descriptor`], [`info`]), how grants are spelled on the command
//! line and in the run-time grant variables ([`grant`]) and limits ([`limit`]), and the facts about each target
//! architecture both sides rely on ([`target`], [`cpu`]).
//!
//! # Calling convention
//!
//! Every wasm function, defined or imported, is compiled as
//! `extern "C" fn(vmctx: *mut VmCtx, params...) -> results` (the platform's C calling
//! convention; several results use Cranelift's implicit return area). An import is called
//! through [`vmctx::VmImportedFunc`]: its own code pointer with its own `vmctx`, which for a
//! host function (WASI) is the caller's `vmctx`, so the host can reach the caller's memory.
//!
//! Exports and the start function also get an *array-call trampoline*:
//! `extern "C" fn(vmctx: *mut VmCtx, values: *mut ValRaw)` that reads the arguments from
//! `values[0..params]`, calls the function and writes the results to `values[0..results]`.
//! This is how a launcher or a test harness calls any export with arbitrary arguments.
//!
//! # Traps
//!
//! Every trap is raised by compiled code: a Cranelift trap instruction (`ud2`, SIGILL) or a
//! fault in the linear memory's guard region (SIGSEGV/SIGBUS). Runtime builtins that can
//! fail return a flag and the compiled code traps on it, so every trap has a recorded
//! [`descriptor::TrapSite`] and a frame-pointer chain that starts in wasm code.

#![cfg_attr(not(feature = "std"), no_std)]
// A silently truncated offset, index or length here is a miscompile or a sandbox escape, so
// every narrowing `as` is either checked or says why it cannot lose bits. (Set here, not in
// `[workspace.lints]`: the other crates do not carry that risk, and a crate opting into the
// workspace table cannot add lints of its own there.)
#![warn(clippy::cast_possible_truncation)]

extern crate alloc;

pub mod builtin;
pub mod cpu;
pub mod descriptor;
pub mod grant;
pub mod info;
pub mod limit;
pub mod memory;
pub mod symbols;
pub mod target;
pub mod vmctx;
pub mod wasi;

mod trap;
pub use trap::Trap;

/// One value slot of the array-call ABI: large enough for any wasm value (v128 included).
/// Integers and floats are stored little-endian in the low bytes; references as pointers.
pub type ValRaw = [u8; 16];
