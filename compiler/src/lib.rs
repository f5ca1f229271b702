//! Kiln's compiler.
