//! Embeds the vendored spec scripts (`spec-scripts/**/*.wast`) into the crate: writes
//! `$OUT_DIR/vendored_scripts.rs`, one `(name, include_str!(path))` pair per script, sorted
//! by name. `include_str!` makes rustc track every file, and `rerun-if-changed` on the
//! directory (which cargo scans recursively) catches added and removed files.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    let entries = std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    for entry in entries {
        let path = entry.expect("directory entry").path();
        if path.is_dir() {
            walk(&path, out);
        } else if path.extension().is_some_and(|e| e == "wast") {
            out.push(path);
        }
    }
}

fn main() {
    let root = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").expect("cargo sets it"))
        .join("spec-scripts");
    println!("cargo:rerun-if-changed={}", root.display());
    let mut files = Vec::new();
    walk(&root, &mut files);
    let mut named: Vec<(String, PathBuf)> = files
        .into_iter()
        .map(|p| {
            let name = p
                .strip_prefix(&root)
                .expect("under the root")
                .to_str()
                .expect("script paths are UTF-8")
                .replace('\\', "/");
            (name, p)
        })
        .collect();
    named.sort();
    let mut code = String::from("pub(crate) static VENDORED: &[(&str, &str)] = &[\n");
    for (name, path) in &named {
        writeln!(
            code,
            "    ({name:?}, include_str!({:?})),",
            path.display().to_string()
        )
        .expect("writing to a String");
    }
    code.push_str("];\n");
    let out = PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets it"));
    std::fs::write(out.join("vendored_scripts.rs"), code).expect("cannot write OUT_DIR");
}
