//! CPU features the compiled code may use, per architecture. The compiler enables a set of
//! them (a named level such as x86-64-v2, or everything the compiling machine has) and
//! records the set in [`crate::info::RunConfig::cpu_features`]; the executable checks them at
//! start-up, so a binary copied to an older machine stops with a clear message instead of
//! `SIGILL`.

use crate::target::Arch;

/// One optional CPU feature of an architecture.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Feature {
    /// The Cranelift ISA setting that lets code use it (`has_avx2`).
    pub setting: &'static str,
    /// Its name in the run config and in messages, as the standard library's feature
    /// detection spells it (`avx2`).
    pub name: &'static str,
}

/// A named set of features: what `--target-cpu NAME` selects.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Level {
    pub name: &'static str,
    /// Who has it, for `--help` and messages.
    pub about: &'static str,
    /// Names from the architecture's [`Feature`] list.
    pub features: &'static [&'static str],
}

impl Arch {
    /// The optional features Kiln knows for this architecture.
    pub fn cpu_features(self) -> &'static [Feature] {
        match self {
            Arch::X86_64 => x86_64::FEATURES,
            Arch::Aarch64 => aarch64::FEATURES,
        }
    }

    /// The named levels, most portable first.
    pub fn cpu_levels(self) -> &'static [Level] {
        match self {
            Arch::X86_64 => x86_64::LEVELS,
            Arch::Aarch64 => aarch64::LEVELS,
        }
    }

    /// The level named `name`.
    pub fn cpu_level(self, name: &str) -> Option<&'static Level> {
        self.cpu_levels().iter().find(|l| l.name == name)
    }

    /// The most portable level: what a start-up failure suggests compiling for.
    pub fn baseline_cpu(self) -> &'static Level {
        &self.cpu_levels()[0]
    }
}

/// x86-64: the psABI micro-architecture levels.
pub mod x86_64 {
    use super::{Feature, Level};

    pub const FEATURES: &[Feature] = &[
        f("has_sse3", "sse3"),
        f("has_ssse3", "ssse3"),
        f("has_sse41", "sse4.1"),
        f("has_sse42", "sse4.2"),
        f("has_popcnt", "popcnt"),
        f("has_avx", "avx"),
        f("has_avx2", "avx2"),
        f("has_fma", "fma"),
        f("has_bmi1", "bmi1"),
        f("has_bmi2", "bmi2"),
        f("has_lzcnt", "lzcnt"),
    ];

    const V2: &[&str] = &["sse3", "ssse3", "sse4.1", "sse4.2", "popcnt"];

    pub const LEVELS: &[Level] = &[
        Level {
            name: "x86-64-v2",
            about: "any x86-64 machine of the last 15 years (SSE4.2, POPCNT)",
            features: V2,
        },
        Level {
            name: "x86-64-v3",
            about: "Haswell (2013), Zen and later (AVX2, FMA, BMI1/2, LZCNT)",
            features: &[
                "sse3", "ssse3", "sse4.1", "sse4.2", "popcnt", "avx", "avx2", "fma", "bmi1",
                "bmi2", "lzcnt",
            ],
        },
    ];

    const fn f(setting: &'static str, name: &'static str) -> Feature {
        Feature { setting, name }
    }

    /// Whether this machine has `feature` (a name from [`FEATURES`]).
    /// Whether this machine has `feature`. Asks the CPU itself, with only the `cpuid`
    /// leaves the feature needs, each once per process: a `cpuid` traps to the hypervisor
    /// in a virtual machine (15-20 µs each on the machine `docs/BENCHMARKS.md` was measured
    /// on), and the standard library's detection runs seven of them on first use, a third
    /// of a small program's start-up. A test checks the answers against the standard
    /// library's.
    #[cfg(all(feature = "std", target_arch = "x86_64"))]
    pub fn host_has(feature: &str) -> bool {
        use core::arch::x86_64::{__cpuid_count, _xgetbv};
        use std::sync::atomic::{AtomicU64, Ordering};

        /// One register of one leaf, cached: 0 = not asked yet, else `1 << 32 | value`.
        fn cached(slot: &AtomicU64, ask: impl FnOnce() -> u32) -> u32 {
            let v = slot.load(Ordering::Relaxed);
            if v != 0 {
                #[allow(clippy::cast_possible_truncation, reason = "the low half is the value")]
                return v as u32;
            }
            let r = ask();
            slot.store(1 << 32 | u64::from(r), Ordering::Relaxed);
            r
        }
        static MAX_LEAF: AtomicU64 = AtomicU64::new(0);
        static LEAF1_ECX: AtomicU64 = AtomicU64::new(0);
        static LEAF7_EBX: AtomicU64 = AtomicU64::new(0);
        static EXT1_ECX: AtomicU64 = AtomicU64::new(0);
        static OS_AVX: AtomicU64 = AtomicU64::new(0);
        // Leaves 1 and 0x8000_0001 exist on every x86-64 CPU (long mode is reported in the
        // latter); leaf 7 is asked only when leaf 0 says it exists.
        let leaf1 = || cached(&LEAF1_ECX, || __cpuid_count(1, 0).ecx);
        let leaf7 = || {
            let max = cached(&MAX_LEAF, || __cpuid_count(0, 0).eax);
            cached(&LEAF7_EBX, || {
                if max >= 7 {
                    __cpuid_count(7, 0).ebx
                } else {
                    0
                }
            })
        };
        let ext1 = || cached(&EXT1_ECX, || __cpuid_count(0x8000_0001, 0).ecx);
        // AVX needs the OS to save the YMM registers: OSXSAVE, then XCR0's SSE and AVX bits.
        let os_avx = || {
            cached(&OS_AVX, || {
                let osxsave = leaf1() & (1 << 27) != 0;
                // SAFETY: `xgetbv` exists when OSXSAVE is set.
                u32::from(osxsave && unsafe { _xgetbv(0) } & 0b110 == 0b110)
            }) != 0
        };
        let bit = |reg: u32, n: u32| reg & (1 << n) != 0;
        match feature {
            "sse3" => bit(leaf1(), 0),
            "ssse3" => bit(leaf1(), 9),
            "sse4.1" => bit(leaf1(), 19),
            "sse4.2" => bit(leaf1(), 20),
            "popcnt" => bit(leaf1(), 23),
            "avx" => bit(leaf1(), 28) && os_avx(),
            "avx2" => bit(leaf7(), 5) && os_avx(),
            "fma" => bit(leaf1(), 12) && os_avx(),
            "bmi1" => bit(leaf7(), 3),
            "bmi2" => bit(leaf7(), 8),
            "lzcnt" => bit(ext1(), 5),
            _ => false,
        }
    }

    #[cfg(all(test, feature = "std", target_arch = "x86_64"))]
    #[test]
    fn detection_agrees_with_the_standard_library() {
        let std_has = |f: &str| match f {
            "sse3" => std::is_x86_feature_detected!("sse3"),
            "ssse3" => std::is_x86_feature_detected!("ssse3"),
            "sse4.1" => std::is_x86_feature_detected!("sse4.1"),
            "sse4.2" => std::is_x86_feature_detected!("sse4.2"),
            "popcnt" => std::is_x86_feature_detected!("popcnt"),
            "avx" => std::is_x86_feature_detected!("avx"),
            "avx2" => std::is_x86_feature_detected!("avx2"),
            "fma" => std::is_x86_feature_detected!("fma"),
            "bmi1" => std::is_x86_feature_detected!("bmi1"),
            "bmi2" => std::is_x86_feature_detected!("bmi2"),
            "lzcnt" => std::is_x86_feature_detected!("lzcnt"),
            _ => unreachable!("not a feature of the table"),
        };
        for f in FEATURES {
            // Twice: the second answer comes from the cache.
            assert_eq!(host_has(f.name), std_has(f.name), "{}", f.name);
            assert_eq!(host_has(f.name), std_has(f.name), "{}", f.name);
        }
        assert!(!host_has("sse5"));
    }
}

/// AArch64: the ARMv8.0 baseline (NEON and FP are part of it) and the optional features
/// Cranelift's arm64 backend uses.
pub mod aarch64 {
    use super::{Feature, Level};

    pub const FEATURES: &[Feature] = &[
        f("has_lse", "lse"),
        f("has_fp16", "fp16"),
        f("has_dotprod", "dotprod"),
        f("has_i8mm", "i8mm"),
    ];

    pub const LEVELS: &[Level] = &[
        Level {
            name: "armv8-a",
            about: "any 64-bit Arm machine (Cortex-A53/A72: Raspberry Pi 3 and 4, AWS Graviton)",
            features: &[],
        },
        Level {
            name: "neoverse-n1",
            about: "Cortex-A76/Neoverse N1 and later (Graviton2, Ampere Altra, Raspberry Pi 5: \
                    LSE atomics, FP16, DotProd)",
            features: &["lse", "fp16", "dotprod"],
        },
    ];

    const fn f(setting: &'static str, name: &'static str) -> Feature {
        Feature { setting, name }
    }

    /// Whether this machine has `feature` (a name from [`FEATURES`]).
    #[cfg(all(feature = "std", target_arch = "aarch64"))]
    pub fn host_has(feature: &str) -> bool {
        match feature {
            "lse" => std::arch::is_aarch64_feature_detected!("lse"),
            "fp16" => std::arch::is_aarch64_feature_detected!("fp16"),
            "dotprod" => std::arch::is_aarch64_feature_detected!("dotprod"),
            "i8mm" => std::arch::is_aarch64_feature_detected!("i8mm"),
            _ => false,
        }
    }
}

/// Whether the machine running this code has `feature` (a name from
/// [`Arch::cpu_features`] of [`Arch::HOST`]). False on an architecture Kiln does not know.
#[cfg(feature = "std")]
pub fn host_has(feature: &str) -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        x86_64::host_has(feature)
    }
    #[cfg(target_arch = "aarch64")]
    {
        aarch64::host_has(feature)
    }
    #[cfg(not(any(target_arch = "x86_64", target_arch = "aarch64")))]
    {
        let _ = feature;
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_use_known_features() {
        for &arch in Arch::ALL {
            assert!(!arch.cpu_levels().is_empty(), "{arch:?} has no levels");
            for level in arch.cpu_levels() {
                assert_ne!(level.name, "native", "`native` is not a level");
                for f in level.features {
                    assert!(
                        arch.cpu_features().iter().any(|k| k.name == *f),
                        "{arch:?} {}: {f}",
                        level.name
                    );
                }
            }
        }
    }

    #[test]
    fn each_level_includes_the_baseline() {
        for &arch in Arch::ALL {
            for level in arch.cpu_levels() {
                for f in arch.baseline_cpu().features {
                    assert!(level.features.contains(f), "{}: {f}", level.name);
                }
            }
        }
    }
}
