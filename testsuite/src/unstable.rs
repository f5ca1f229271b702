//! Snapshot-0 versions of the preview1 test programs: [`to_unstable`] renames every
//! `wasi_snapshot_preview1` import of a module to `wasi_unstable` (the names and core
//! signatures are the same in both snapshots), so a program built by today's toolchain
//! runs against the older interface, as a program from an old SDK would. Only the import
//! section is re-encoded; every other section (code, names, custom sections) is copied.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use wasm_encoder::reencode::{self, Reencode};

/// The module renaming imports: the round-trip encoder with one change.
struct Rename;

impl Reencode for Rename {
    type Error = std::convert::Infallible;

    fn parse_imports(
        &mut self,
        section: &mut wasm_encoder::ImportSection,
        imports: wasmparser::Imports<'_>,
    ) -> Result<(), reencode::Error<Self::Error>> {
        // Written out one import at a time, whatever form they were read in.
        let mut all = Vec::new();
        match imports {
            wasmparser::Imports::Single(_, i) => all.push((i.module, i.name, i.ty)),
            wasmparser::Imports::Compact1 { module, items } => {
                for item in items {
                    let item = item?;
                    all.push((module, item.name, item.ty));
                }
            }
            wasmparser::Imports::Compact2 { module, ty, names } => {
                for name in names {
                    all.push((module, name?, ty));
                }
            }
        }
        for (module, name, ty) in all {
            let module = if module == kiln_abi::wasi::MODULE {
                kiln_abi::wasi::UNSTABLE_MODULE
            } else {
                module
            };
            section.import(module, name, self.entity_type(ty)?);
        }
        Ok(())
    }
}

/// The module `wasm` with its preview1 imports renamed to `wasi_unstable`.
pub fn rename_imports(wasm: &[u8]) -> Vec<u8> {
    let mut module = wasm_encoder::Module::new();
    Rename
        .parse_core_module(&mut module, wasmparser::Parser::new(0), wasm)
        .expect("re-encoding a valid module");
    module.finish()
}

/// Writes [`rename_imports`] of the module at `wasm` beside it, as `<name>_unstable.wasm`.
pub fn to_unstable(wasm: &Path) -> PathBuf {
    let out = wasm.with_file_name(format!(
        "{}_unstable.wasm",
        wasm.file_stem().unwrap().to_str().unwrap()
    ));
    let bytes = std::fs::read(wasm).unwrap();
    // Unique per call: tests in one process may convert the same program at once.
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let tmp = out.with_extension(format!(
        "wasm.{}.{}.tmp",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    ));
    std::fs::write(&tmp, rename_imports(&bytes)).unwrap();
    std::fs::rename(&tmp, &out).unwrap();
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn renames_preview1_imports_only() {
        let wasm = wat::parse_str(
            r#"(module
                (import "wasi_snapshot_preview1" "fd_write" (func (param i32 i32 i32 i32) (result i32)))
                (import "env" "f" (func))
                (memory (export "memory") 1)
                (func (export "_start")))"#,
        )
        .unwrap();
        let out = super::rename_imports(&wasm);
        let mut seen = Vec::new();
        for payload in wasmparser::Parser::new(0).parse_all(&out) {
            if let wasmparser::Payload::ImportSection(r) = payload.unwrap() {
                for i in r.into_imports() {
                    let i = i.unwrap();
                    seen.push(format!("{}.{}", i.module, i.name));
                }
            }
        }
        assert_eq!(seen, ["wasi_unstable.fd_write", "env.f"]);
        wasmparser::Validator::new().validate_all(&out).unwrap();
    }
}
