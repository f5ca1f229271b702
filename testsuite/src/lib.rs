//! Kiln's conformance harnesses.
pub mod conformance;
pub mod programs;
pub mod real;
pub mod targets;
pub mod unstable;

pub mod diff;
pub mod diff_wasmtime;
pub mod loader;
pub mod spec;
