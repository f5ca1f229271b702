//! Kiln's conformance harnesses.
pub mod programs;
