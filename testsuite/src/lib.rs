//! Kiln's conformance harnesses.
