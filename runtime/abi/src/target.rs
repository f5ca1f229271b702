//! The CPU architectures Kiln compiles for, and the facts about each that the compiler and
//! the runtime must agree on: its name in target triples, the largest page size its Linux
//! kernels run with (which aligns the memory image), and its CPU features
//! ([`crate::cpu`]).
//!
//! Everything else architecture-specific lives on one side only: the ISA in the compiler
//! (`kiln_compiler::Target`), signal contexts, stack pointer and the trap stub in the
//! runtime's `arch` module. Adding an architecture means a variant here, its
//! [`crate::cpu`] table, one runtime `arch` module and one Cranelift ISA.

/// A CPU architecture Kiln can compile for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Arch {
    X86_64,
    Aarch64,
}

impl Arch {
    /// Every architecture Kiln knows.
    pub const ALL: &'static [Arch] = &[Arch::X86_64, Arch::Aarch64];

    /// The architecture this code was built for, if Kiln supports it.
    pub const HOST: Option<Arch> = if cfg!(target_arch = "x86_64") {
        Some(Arch::X86_64)
    } else if cfg!(target_arch = "aarch64") {
        Some(Arch::Aarch64)
    } else {
        None
    };

    /// The architecture's name as the first component of a target triple (`x86_64`).
    pub fn name(self) -> &'static str {
        match self {
            Arch::X86_64 => "x86_64",
            Arch::Aarch64 => "aarch64",
        }
    }

    /// The architecture named `name` in a target triple.
    pub fn from_name(name: &str) -> Option<Arch> {
        Arch::ALL.iter().copied().find(|a| a.name() == name)
    }

    /// The largest page size a Linux kernel for this architecture may run with. x86-64
    /// has 4 KiB pages only (huge pages do not change the base page size); AArch64
    /// kernels are built with 4, 16 (Apple silicon under Asahi) or 64 KiB pages (RHEL's
    /// and some server distributions' arm64 kernels).
    pub fn max_page_size(self) -> u64 {
        match self {
            Arch::X86_64 => 4096,
            Arch::Aarch64 => 64 << 10,
        }
    }

    /// Alignment and size granule of the memory image
    /// ([`crate::descriptor::ModuleDescriptor::image`]): the largest page size, so that an
    /// executable can move its image into linear memory page by page (copy-on-write views
    /// of the file) whatever page size the kernel it runs on uses.
    pub fn image_align(self) -> u64 {
        self.max_page_size()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for &a in Arch::ALL {
            assert_eq!(Arch::from_name(a.name()), Some(a));
        }
        assert_eq!(Arch::from_name("mips"), None);
    }

    #[test]
    fn aarch64_images_fit_every_kernel_page_size() {
        for page in [4 << 10, 16 << 10, 64 << 10] {
            assert_eq!(Arch::Aarch64.image_align() % page, 0, "{page}");
        }
    }

    #[test]
    fn image_alignment_is_a_power_of_two_page() {
        for &a in Arch::ALL {
            let align = a.image_align();
            assert!(align.is_power_of_two() && align >= 4096, "{a:?}");
            // The memory image is placed inside wasm pages: it must divide them.
            assert_eq!(crate::memory::WASM_PAGE_SIZE % align, 0, "{a:?}");
        }
    }
}
