//! Kiln's runtime.
