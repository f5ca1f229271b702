//! CPU features the compiled code may use. The compiler enables a set of them (a level such
//! as x86-64-v2, or everything the compiling machine has) and records the set in
//! [`crate::info::RunConfig::cpu_features`]; the executable checks them at start-up, so a
//! binary copied to an older machine stops with a clear message instead of `SIGILL`.

/// (Cranelift x64 setting, the feature's name in `is_x86_feature_detected!`).
pub const FEATURES: &[(&str, &str)] = &[
    ("has_sse3", "sse3"),
    ("has_ssse3", "ssse3"),
    ("has_sse41", "sse4.1"),
    ("has_sse42", "sse4.2"),
    ("has_popcnt", "popcnt"),
    ("has_avx", "avx"),
    ("has_avx2", "avx2"),
    ("has_fma", "fma"),
    ("has_bmi1", "bmi1"),
    ("has_bmi2", "bmi2"),
    ("has_lzcnt", "lzcnt"),
];

/// x86-64-v2: every x86-64 machine of the last 15 years.
pub const X86_64_V2: &[&str] = &["sse3", "ssse3", "sse4.1", "sse4.2", "popcnt"];

/// x86-64-v3: Haswell (2013) and later, Zen and later.
pub const X86_64_V3: &[&str] = &[
    "sse3", "ssse3", "sse4.1", "sse4.2", "popcnt", "avx", "avx2", "fma", "bmi1", "bmi2", "lzcnt",
];

/// Whether the machine running this code has `feature` (a name from [`FEATURES`]).
#[cfg(feature = "std")]
pub fn host_has(feature: &str) -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        match feature {
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
            _ => false,
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
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
        for f in X86_64_V2.iter().chain(X86_64_V3) {
            assert!(FEATURES.iter().any(|(_, n)| n == f), "{f}");
        }
    }
}
