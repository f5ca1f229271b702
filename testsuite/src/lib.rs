//! Kiln's conformance harnesses. Without the `harness` feature (a default) only the object
//! loader and the spec runner's side are built: what `kiln-spec-runner` needs on another
//! architecture.
#[cfg(feature = "harness")]
pub mod conformance;
#[cfg(feature = "harness")]
pub mod programs;
#[cfg(feature = "harness")]
pub mod real;
#[cfg(feature = "harness")]
pub mod targets;
#[cfg(feature = "harness")]
pub mod unstable;

#[cfg(feature = "harness")]
pub mod diff;
#[cfg(feature = "harness")]
pub mod diff_wasmtime;
/// The in-process object loader: the runtime's (feature `loader`), which `kiln::load`
/// also uses.
pub use kiln_runtime::loader;
pub mod spec;
