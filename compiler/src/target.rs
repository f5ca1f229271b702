//! What the compiler generates code for: a target triple and the CPUs of that
//! architecture the code must run on. The Cranelift ISA, the CPU features recorded for the
//! executable's start-up check and the memory image's alignment all come from this one value.

use std::str::FromStr;
use std::sync::Arc;

use cranelift_codegen::isa::{self, TargetIsa};
use cranelift_codegen::settings::{self, Configurable};
use kiln_abi::target::Arch;
use target_lexicon::Triple;

use crate::{CompileError, OptLevel};

/// The triples Kiln can produce executables for, the default first. A triple is here when
/// its ISA is in Cranelift's build, its architecture in [`Arch`] and the CLI carries a
/// runtime library for it. The default is static musl: it starts faster and is smaller than
/// static glibc, at the same speed (measured in `docs/BENCHMARKS.md`).
pub const SUPPORTED_TRIPLES: &[&str] = &[
    "x86_64-unknown-linux-musl",
    "x86_64-unknown-linux-gnu",
    "aarch64-unknown-linux-gnu",
    "aarch64-unknown-linux-musl",
];

/// Which CPUs of the target architecture the code must run on.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum TargetCpu {
    /// Every feature of the machine running the compiler (as `wasmtime compile` does); only
    /// when it has the target's architecture. The executable refuses to start on a CPU that
    /// lacks one of them.
    #[default]
    Native,
    /// A named level of the architecture ([`Arch::cpu_levels`]), e.g. `x86-64-v2`.
    Level(String),
}

impl TargetCpu {
    /// `native` or a level name, as `--target-cpu` spells it.
    pub fn from_name(name: &str) -> TargetCpu {
        match name {
            "native" => TargetCpu::Native,
            _ => TargetCpu::Level(name.to_string()),
        }
    }
}

/// A target: what [`crate::compile`] generates code for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Target {
    triple: Triple,
    arch: Arch,
    cpu: TargetCpu,
}

impl Default for Target {
    /// The first supported triple, for the machine's own CPU.
    fn default() -> Target {
        Target::with_default_cpu(SUPPORTED_TRIPLES[0]).expect("the default target is supported")
    }
}

impl Target {
    /// The target `triple` for `native` CPUs when it is this machine's architecture, else
    /// for the architecture's most portable level.
    pub fn with_default_cpu(triple: &str) -> Result<Target, CompileError> {
        let (_, arch) = parse_triple(triple)?;
        let cpu = if Arch::HOST == Some(arch) {
            TargetCpu::Native
        } else {
            TargetCpu::Level(arch.baseline_cpu().name.to_string())
        };
        Target::new(triple, cpu)
    }

    /// The target `triple` with `cpu`; an error names what is supported when either is not.
    pub fn new(triple: &str, cpu: TargetCpu) -> Result<Target, CompileError> {
        let (parsed, arch) = parse_triple(triple)?;
        match &cpu {
            TargetCpu::Native if Arch::HOST != Some(arch) => {
                return Err(CompileError::Target(format!(
                    "`native` means this machine's CPU, which is not {}: name the CPUs the code \
                     must run on instead ({})",
                    arch.name(),
                    cpu_names(arch)
                )))
            }
            TargetCpu::Level(name) if arch.cpu_level(name).is_none() => {
                return Err(CompileError::Target(format!(
                    "unknown CPU `{name}` for {parsed}; choose one of {}",
                    cpu_names(arch)
                )))
            }
            _ => {}
        }
        Ok(Target {
            triple: parsed,
            arch,
            cpu,
        })
    }

    pub fn triple(&self) -> &Triple {
        &self.triple
    }

    pub fn arch(&self) -> Arch {
        self.arch
    }

    pub fn cpu(&self) -> &TargetCpu {
        &self.cpu
    }

    /// Alignment and size granule of the memory image (the largest page size of the
    /// target's kernels).
    pub fn image_align(&self) -> u64 {
        self.arch.image_align()
    }

    /// The CPU features the code may use: a level's, or every feature this machine has.
    pub fn cpu_features(&self) -> Vec<&'static str> {
        self.cpu_features_on(kiln_abi::cpu::host_has)
    }

    /// [`Target::cpu_features`] on a host whose features are those `host_has` accepts
    /// (tests pose as older machines with it).
    pub(crate) fn cpu_features_on(&self, host_has: impl Fn(&str) -> bool) -> Vec<&'static str> {
        let known = self.arch.cpu_features().iter().map(|f| f.name);
        match &self.cpu {
            TargetCpu::Native => known.filter(|name| host_has(name)).collect(),
            TargetCpu::Level(name) => {
                let level = self.arch.cpu_level(name).expect("checked by Target::new");
                known.filter(|name| level.features.contains(name)).collect()
            }
        }
    }

    /// The Cranelift ISA for this target at optimisation level `opt`, and the CPU features
    /// it uses (recorded in the executable, which checks them at start-up).
    pub(crate) fn isa(
        &self,
        opt: OptLevel,
    ) -> Result<(Arc<dyn TargetIsa>, Vec<String>), CompileError> {
        let internal = |e: &dyn std::fmt::Display| CompileError::Internal(e.to_string());
        let mut flags = settings::builder();
        let opt_level = match opt {
            OptLevel::None => "none",
            OptLevel::Speed => "speed",
            OptLevel::SpeedAndSize => "speed_and_size",
        };
        for (name, value) in [
            ("opt_level", opt_level),
            // Backtraces walk the frame-pointer chain.
            ("preserve_frame_pointers", "true"),
            // Position-independent code links into PIE executables and loads anywhere.
            ("is_pic", "true"),
            ("enable_multi_ret_implicit_sret", "true"),
            // Stack overflow is caught by the stack-limit check, not by probing.
            ("enable_probestack", "false"),
            ("unwind_info", "false"),
            (
                "enable_verifier",
                if cfg!(debug_assertions) {
                    "true"
                } else {
                    "false"
                },
            ),
        ] {
            flags.set(name, value).map_err(|e| internal(&e))?;
        }
        let mut builder = isa::lookup(self.triple.clone()).map_err(|e| {
            CompileError::Target(format!(
                "this kiln was built without Cranelift's {} backend ({e})",
                self.arch.name()
            ))
        })?;
        let features = self.cpu_features();
        for f in self.arch.cpu_features() {
            if features.contains(&f.name) {
                builder.enable(f.setting).map_err(|e| internal(&e))?;
            }
        }
        let isa = builder
            .finish(settings::Flags::new(flags))
            .map_err(|e| internal(&e))?;
        Ok((isa, features.into_iter().map(String::from).collect()))
    }
}

/// `triple` parsed, when it is one of [`SUPPORTED_TRIPLES`] (however it is spelt).
fn parse_triple(triple: &str) -> Result<(Triple, Arch), CompileError> {
    let unsupported = |why: &str| {
        CompileError::Target(format!(
            "cannot compile for `{triple}`{why}; supported targets: {}",
            SUPPORTED_TRIPLES.join(", ")
        ))
    };
    let parsed = Triple::from_str(triple).map_err(|e| unsupported(&format!(" ({e})")))?;
    let supported = SUPPORTED_TRIPLES
        .iter()
        .any(|s| Triple::from_str(s).is_ok_and(|s| s == parsed));
    match Arch::from_name(&parsed.architecture.to_string()) {
        Some(arch) if supported => Ok((parsed, arch)),
        _ => Err(unsupported("")),
    }
}

/// `native, x86-64-v2, x86-64-v3` for `arch` (`native` only when it is this machine's).
pub fn cpu_names(arch: Arch) -> String {
    let native = (Arch::HOST == Some(arch)).then_some("native");
    native
        .into_iter()
        .chain(arch.cpu_levels().iter().map(|l| l.name))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn error(triple: &str, cpu: &str) -> String {
        Target::new(triple, TargetCpu::from_name(cpu))
            .unwrap_err()
            .to_string()
    }

    #[test]
    fn every_supported_triple_builds_its_isa() {
        for triple in SUPPORTED_TRIPLES {
            let arch = Target::with_default_cpu(triple).unwrap().arch();
            for level in arch.cpu_levels() {
                let t = Target::new(triple, TargetCpu::Level(level.name.into())).unwrap();
                let (isa, features) = t.isa(OptLevel::Speed).unwrap();
                assert_eq!(isa.triple(), t.triple());
                assert_eq!(features.len(), level.features.len(), "{}", level.name);
            }
        }
    }

    #[test]
    fn the_default_is_the_first_supported_triple() {
        let t = Target::default();
        assert_eq!(t.triple().to_string(), SUPPORTED_TRIPLES[0]);
        assert_eq!(t.cpu(), &TargetCpu::Native);
    }

    #[test]
    fn unsupported_triples_are_refused_with_the_list() {
        for triple in [
            "riscv64gc-unknown-linux-gnu",
            "aarch64-apple-darwin",
            "x86_64-pc-windows-msvc",
            "nonsense",
        ] {
            let e = error(triple, "native");
            assert!(e.contains(&format!("`{triple}`")), "{e}");
            assert!(
                e.contains("supported targets: x86_64-unknown-linux-musl"),
                "{e}"
            );
        }
    }

    #[test]
    fn cpus_are_checked_against_the_architecture() {
        let e = error("x86_64-unknown-linux-gnu", "cortex-a72");
        assert!(e.contains("unknown CPU `cortex-a72`"), "{e}");
        assert!(e.contains("x86-64-v2, x86-64-v3"), "{e}");
    }

    #[test]
    fn native_uses_only_features_this_machine_has() {
        for f in Target::default().cpu_features() {
            assert!(kiln_abi::cpu::host_has(f), "{f}");
        }
    }

    #[test]
    fn another_architecture_defaults_to_its_baseline_and_refuses_native() {
        let t = Target::with_default_cpu("aarch64-unknown-linux-musl").unwrap();
        assert_eq!(t.cpu(), &TargetCpu::Level("armv8-a".into()));
        assert!(t.cpu_features().is_empty());
        if Arch::HOST != Some(Arch::Aarch64) {
            let e = error("aarch64-unknown-linux-gnu", "native");
            assert!(e.contains("not aarch64"), "{e}");
            assert!(e.contains("armv8-a, neoverse-n1"), "{e}");
        }
        let n1 = Target::new(
            "aarch64-unknown-linux-gnu",
            TargetCpu::from_name("neoverse-n1"),
        );
        assert_eq!(n1.unwrap().cpu_features(), ["lse", "fp16", "dotprod"]);
    }

    #[test]
    fn image_alignment_is_the_largest_page() {
        let aarch64 = Target::with_default_cpu("aarch64-unknown-linux-gnu").unwrap();
        assert_eq!(aarch64.image_align(), 64 << 10);
        assert_eq!(Target::default().image_align(), 4096);
    }
}
