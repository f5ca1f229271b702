//! The target ISA the object file is generated for (code generation itself is
//! [`crate::codegen`]).

use std::sync::Arc;

use cranelift_codegen::isa::{self, TargetIsa};
use cranelift_codegen::settings::{self, Configurable};
use kiln_abi::cpu;

use crate::{CompileError, OptLevel, TargetCpu};

/// The target: x86-64 Linux with the CPU features `cpu` allows. Returns the ISA and the
/// features it uses (recorded in the executable, which checks them at start-up).
pub fn build_isa(
    opt: OptLevel,
    cpu: TargetCpu,
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
    let mut builder = isa::lookup_by_name("x86_64-unknown-linux-gnu").map_err(|e| internal(&e))?;
    let wanted: Vec<&str> = match cpu {
        TargetCpu::X86_64V2 => cpu::X86_64_V2.to_vec(),
        TargetCpu::X86_64V3 => cpu::X86_64_V3.to_vec(),
        TargetCpu::Native => cpu::FEATURES
            .iter()
            .map(|(_, name)| *name)
            .filter(|name| cpu::host_has(name))
            .collect(),
    };
    for (setting, name) in cpu::FEATURES {
        if wanted.contains(name) {
            builder.enable(setting).map_err(|e| internal(&e))?;
        }
    }
    let isa = builder
        .finish(settings::Flags::new(flags))
        .map_err(|e| internal(&e))?;
    Ok((isa, wanted.into_iter().map(String::from).collect()))
}
