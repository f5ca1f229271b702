//! Kiln's runtime: linked into every executable Kiln produces (staticlib) and used by test
//! harnesses through the embedding API (rlib).
//!
//! It is built in layers; each uses only the layers below it:
//!
//! Everything specific to the CPU architecture is in `arch`, one module per architecture
//! (part of the VM layer).
//!
//! 1. **The VM layer**: linear memory ([`memory`]), tables ([`table`]), functions and
//!    globals as instances hold them (`externs`), decoded modules (`module`), canonical
//!    type ids (`types`), instantiation (`instance`), the builtins compiled code calls
//!    ([`builtins`]; `memmove`, `memory.copy`'s byte mover), trap handling and reports ([`traps`]), wasm exceptions and their
//!    unwinder ([`exceptions`]), the native stack budget ([`stack`]), interrupting every
//!    instance at once ([`interrupt`]), the wait queues of
//!    `memory.atomic.wait`/`notify` ([`wait`]) and the threads of a threaded program
//!    ([`threads`]). It knows nothing of WASI or of the public API: the state host
//!    functions need is opaque to it.
//! 2. **WASI preview1** ([`wasi`]): host functions bound as VM host functions, reaching
//!    their context through the calling instance's vmctx.
//! 3. **The embedding API** ([`embed`]): the public façade (modules, instances, externs,
//!    values) over the VM layer, with WASI instantiation as one of its constructors.
//!    [`wasi_command`] runs a WASI command Node's way on top of it: [`WasiOptions`] (`args`,
//!    `env`, `preopens`, `return_on_exit`, stdio as host files or buffers) and [`Wasi::start`].
//!    With the `loader` feature, `loader` maps a relocatable object from the compiler into
//!    this process, resolving its builtins through this layer (`kiln::load`, the spec harness).
//! 4. With the `exe` feature, **the process entry** (`entry`): grants, instantiation and
//!    `_start` through the embedding API.
//!
//! A test below keeps the VM layer from importing the layers above it.

// A silently truncated offset, index or length here is a miscompile or a sandbox escape, so
// every narrowing `as` is either checked or says why it cannot lose bits. (Set here, not in
// `[workspace.lints]`: the other crates do not carry that risk, and a crate opting into the
// workspace table cannot add lints of its own there.)
#![warn(clippy::cast_possible_truncation)]

mod arch;
pub mod builtins;
pub mod embed;
pub mod exceptions;
mod externs;
mod instance;
pub mod interrupt;
#[cfg(feature = "loader")]
#[allow(
    clippy::cast_possible_truncation,
    reason = "test and embedding code, never in an executable: ELF offsets and sizes the object \
              crate has read (usize is 64 bits on both architectures it knows), relocation \
              values checked for overflow, PLT displacements within one mapping"
)]
pub mod loader;
mod memmove;
pub mod memory;
mod module;
pub mod stack;
pub mod table;
pub mod threads;
pub mod traps;
mod types;
pub mod wait;
pub mod wasi;
pub mod wasi_command;

// Also in unit tests (without `main`), so `cargo test` runs entry's own tests.
#[cfg(any(feature = "exe", test))]
pub mod entry;

/// Size of a global slot and of the vmctx header unit (`kiln_abi::vmctx`).
pub(crate) const GLOBAL_SLOT: usize = kiln_abi::vmctx::GLOBAL_SLOT_SIZE as usize;
/// How many global-sized slots the vmctx header takes: the defined globals follow it.
pub(crate) const HEADER_SLOTS: usize =
    kiln_abi::vmctx::OFFSET_DEFINED_GLOBALS as usize / GLOBAL_SLOT;
const _: () =
    assert!(kiln_abi::vmctx::OFFSET_DEFINED_GLOBALS as usize == HEADER_SLOTS * GLOBAL_SLOT);

pub use embed::{
    builtin_address, Extern, Func, Global, Instance, InstantiateError, Memory, Module, Table, Trap,
    Unwind, Val,
};
pub use kiln_abi::info::RunConfig;
pub use wasi::WasiCtx;
pub use wasi_command::{Input, Output, StartError, Wasi, WasiOptions};

#[cfg(test)]
mod mock_tests;

#[cfg(test)]
mod layering_tests {
    use std::collections::BTreeSet;
    use std::path::Path;

    /// The top-level modules of this crate a source file names through `crate::`
    /// (`crate::a::...` and `crate::{a, b::c}`), comments excluded.
    fn crate_modules_used(source: &str) -> BTreeSet<String> {
        let code: String = source
            .lines()
            .filter(|l| !l.trim_start().starts_with("//"))
            .collect::<Vec<_>>()
            .join("\n");
        let ident = |s: &str| -> String {
            s.trim_start()
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect()
        };
        let mut used = BTreeSet::new();
        for (i, _) in code.match_indices("crate::") {
            let rest = &code[i + "crate::".len()..];
            if let Some(group) = rest.strip_prefix('{') {
                let mut depth = 0;
                let mut start = 0;
                for (j, c) in group.char_indices() {
                    match c {
                        '{' => depth += 1,
                        '}' if depth == 0 => {
                            used.insert(ident(&group[start..j]));
                            break;
                        }
                        '}' => depth -= 1,
                        ',' if depth == 0 => {
                            used.insert(ident(&group[start..j]));
                            start = j + 1;
                        }
                        _ => {}
                    }
                }
            } else {
                used.insert(ident(rest));
            }
        }
        used.remove("");
        used
    }

    fn sources(dir: &Path, out: &mut Vec<(String, String)>) {
        for entry in std::fs::read_dir(dir).expect("the source directory") {
            let path = entry.expect("a directory entry").path();
            if path.is_dir() {
                sources(&path, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let src = std::fs::read_to_string(&path).expect("a source file");
                out.push((path.display().to_string(), src));
            }
        }
    }

    #[test]
    fn each_layer_uses_only_the_layers_below() {
        let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let mut files = Vec::new();
        sources(&src, &mut files);
        assert!(files.len() > 10, "found the sources");
        let above_vm = [
            "embed",
            "loader",
            "wasi",
            "wasi_command",
            "entry",
            "mock_tests",
        ];
        for (path, source) in &files {
            let file = path
                .strip_prefix(&*src.display().to_string())
                .unwrap_or(path);
            let file = file.trim_start_matches('/');
            let forbidden: &[&str] = match file {
                "lib.rs" | "mock_tests.rs" | "entry.rs" => &[],
                "embed.rs" => &["loader", "wasi_command", "entry", "mock_tests"],
                // The loader resolves an object's builtins through the embedding layer.
                f if f == "loader.rs" || f.starts_with("loader/") => {
                    &["wasi", "wasi_command", "entry", "mock_tests"]
                }
                "wasi_command.rs" => &["entry", "mock_tests"],
                f if f.starts_with("wasi/") => &["embed", "wasi_command", "entry", "mock_tests"],
                _ => &above_vm,
            };
            let used = crate_modules_used(source);
            for m in forbidden {
                assert!(!used.contains(*m), "{file} (a lower layer) uses crate::{m}");
            }
        }
    }

    #[test]
    fn the_check_sees_every_spelling() {
        let used = crate_modules_used(
            "use crate::a::B;\nuse crate::{c, d::{E, F}, g};\n// crate::h\nfn f() { crate::i::j() }",
        );
        let want: BTreeSet<String> = ["a", "c", "d", "g", "i"].map(String::from).into();
        assert_eq!(used, want);
    }
}
