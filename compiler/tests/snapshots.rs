//! Snapshot tests of code generation: every `snapshots/NAME.wat` is compiled and the CLIF
//! of each of its functions, as the translator produced it (before inlining and
//! optimisation, with the wasm instructions as comments), must equal `snapshots/NAME.clif`.
//! A `.wat` with a line `;;! disas` also has its x86-64 machine code (optimised, for
//! x86-64-v2, so no machine's CPU shows through) compared with `snapshots/NAME.x86_64.asm`.
//!
//! The expected files were blessed from Kiln's own output: they are change detectors, not
//! correctness oracles (the spec, WASI and trap tests are those). A failure prints a diff;
//! when the change is intended, re-bless and review the diff in the commit:
//!
//! ```text
//! KILN_BLESS=1 cargo test --release -p kiln-compiler --test snapshots
//! ```

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use iced_x86::{Decoder, DecoderOptions, Formatter, IntelFormatter};
use kiln_compiler::{CompileOptions, FunctionDump, ModuleKind, Target, TargetCpu};

const BLESS_COMMAND: &str = "KILN_BLESS=1 cargo test --release -p kiln-compiler --test snapshots";

fn snapshot_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/snapshots")
}

fn options() -> CompileOptions {
    CompileOptions {
        // A fixed CPU: the disassembly must not depend on the machine running the test.
        target: Target::new(
            "x86_64-unknown-linux-gnu",
            TargetCpu::Level("x86-64-v2".into()),
        )
        .expect("a supported target"),
        kind: ModuleKind::Library,
        ..CompileOptions::default()
    }
}

fn header(f: &FunctionDump) -> String {
    match &f.name {
        Some(name) => format!(";; wasm function {} `{name}`\n", f.index),
        None => format!(";; wasm function {}\n", f.index),
    }
}

/// The unoptimised CLIF of every function (trampolines are not the translator's).
fn render_clif(funcs: &[FunctionDump]) -> String {
    let mut out = String::new();
    for f in funcs.iter().filter(|f| !f.trampoline) {
        out.push_str(&header(f));
        out.push_str(&f.unoptimized_clif);
        out.push('\n');
    }
    out
}

/// The machine code of every function in Intel syntax, one instruction a line with its
/// code offset, relocations and trap sites noted.
fn render_disassembly(funcs: &[FunctionDump]) -> String {
    let mut out = String::new();
    let mut formatter = IntelFormatter::new();
    for f in funcs.iter().filter(|f| !f.trampoline) {
        out.push_str(&header(f));
        let mut decoder = Decoder::with_ip(64, &f.code, 0, DecoderOptions::NONE);
        let mut text = String::new();
        while decoder.can_decode() {
            let inst = decoder.decode();
            text.clear();
            formatter.format(&inst, &mut text);
            let (start, end) = (inst.ip() as u32, inst.next_ip() as u32);
            write!(out, "  {start:4x}:  {text}").unwrap();
            for (_, symbol) in f
                .relocations
                .iter()
                .filter(|(o, _)| (start..end).contains(o))
            {
                write!(out, "  ; reloc {symbol}").unwrap();
            }
            for (_, trap) in f.trap_sites.iter().filter(|(o, _)| *o == start) {
                match trap {
                    Some(trap) => write!(out, "  ; trap: {trap:?}").unwrap(),
                    None => write!(out, "  ; trap").unwrap(),
                }
            }
            out.push('\n');
        }
        out.push('\n');
    }
    out
}

/// Compares `actual` with the file at `expected` (or, when blessing, writes it). Returns
/// the failure: a unified diff, expected to actual.
fn check(expected: &Path, actual: &str, bless: bool) -> Result<(), String> {
    if bless {
        std::fs::write(expected, actual).map_err(|e| format!("{}: {e}", expected.display()))?;
        return Ok(());
    }
    let Ok(want) = std::fs::read_to_string(expected) else {
        return Err(format!(
            "{}: missing; create it with `{BLESS_COMMAND}`\n",
            expected.display()
        ));
    };
    if want == actual {
        return Ok(());
    }
    let name = expected.display().to_string();
    let diff = similar::TextDiff::from_lines(want.as_str(), actual)
        .unified_diff()
        .context_radius(3)
        .header(&name, "actual")
        .to_string();
    Err(format!("{name}: generated code changed:\n{diff}"))
}

#[test]
fn generated_code_matches_snapshots() {
    let bless = std::env::var_os("KILN_BLESS").is_some_and(|v| v != "0");
    let dir = snapshot_dir();
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("tests/snapshots")
        .map(|e| e.expect("directory entry").path())
        .collect();
    files.sort();
    let mut failures = Vec::new();
    let mut checked = 0;
    for path in &files {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let Some(stem) = name.strip_suffix(".wat") else {
            // An expected file without its module is stale.
            let stem = name.split('.').next().unwrap_or(&name);
            if !dir.join(format!("{stem}.wat")).exists() {
                failures.push(format!(
                    "{}: no {stem}.wat beside it; delete it\n",
                    path.display()
                ));
            }
            continue;
        };
        let text = std::fs::read_to_string(path).unwrap();
        let (_, funcs) = match kiln_compiler::compile_and_dump(text.as_bytes(), &options()) {
            Ok(result) => result,
            Err(e) => {
                failures.push(format!("{}: does not compile: {e}\n", path.display()));
                continue;
            }
        };
        let clif = dir.join(format!("{stem}.clif"));
        failures.extend(check(&clif, &render_clif(&funcs), bless).err());
        let asm = dir.join(format!("{stem}.x86_64.asm"));
        if text.lines().any(|l| l.trim() == ";;! disas") {
            failures.extend(check(&asm, &render_disassembly(&funcs), bless).err());
        } else if asm.exists() {
            failures.push(format!(
                "{}: {name} has no `;;! disas` line\n",
                asm.display()
            ));
        }
        checked += 1;
    }
    assert!(
        checked >= 7,
        "only {checked} snapshot modules in {}",
        dir.display()
    );
    assert!(
        failures.is_empty(),
        "{}\n{} snapshot(s) differ. If the change is intended, re-bless with\n    {BLESS_COMMAND}\nand commit the new files.",
        failures.join("\n"),
        failures.len()
    );
}

/// The comparison itself fails, with a readable diff, when the output changes.
#[test]
fn a_changed_snapshot_fails_with_a_diff() {
    let dir = tempfile_dir();
    let path = dir.join("x.clif");
    std::fs::write(&path, "v1 = iconst.i32 1\nv2 = iadd v1, v1\nreturn v2\n").unwrap();
    let err = check(
        &path,
        "v1 = iconst.i32 1\nv2 = imul v1, v1\nreturn v2\n",
        false,
    )
    .expect_err("differs");
    assert!(
        err.contains("-v2 = iadd v1, v1\n+v2 = imul v1, v1\n"),
        "{err}"
    );
    assert!(check(
        &path,
        "v1 = iconst.i32 1\nv2 = iadd v1, v1\nreturn v2\n",
        false
    )
    .is_ok());
    let missing = check(&dir.join("none.clif"), "", false).expect_err("missing");
    assert!(missing.contains(BLESS_COMMAND), "{missing}");
    std::fs::remove_dir_all(&dir).unwrap();
}

fn tempfile_dir() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("kiln-snapshot-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}
