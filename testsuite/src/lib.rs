//! Kiln's conformance harnesses.

pub mod loader;
pub mod spec;
