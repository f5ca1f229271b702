//! Kiln's conformance harnesses.
pub mod programs;

pub mod loader;
pub mod spec;
