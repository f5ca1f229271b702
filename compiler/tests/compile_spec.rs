//! Compiles every module of the spec test suite's core-2.0 and SIMD tiers (`simd/`,
//! `wasm-3.0/relaxed-simd/`) without running them:
//! valid modules must compile, `assert_invalid`/`assert_malformed` ones must be rejected.
//! A fast check of the translator and validator wiring; running them is the testsuite's job.

use std::path::{Path, PathBuf};

use kiln_compiler::{compile, CompileError, CompileOptions, ModuleKind};
use wast::{parser, QuoteWat, Wast, WastDirective};

/// The tiers whose every module Kiln must handle.
const TIERS: &[&str] = &["core-2.0", "simd", "wasm-3.0/relaxed-simd"];

fn spec_dir(tier: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/spec-testsuite")
        .join(tier)
}

fn opts() -> CompileOptions {
    CompileOptions {
        kind: ModuleKind::Library,
        ..Default::default()
    }
}

fn encode(module: &mut QuoteWat<'_>) -> Option<Vec<u8>> {
    module.encode().ok()
}

#[test]
fn every_spec_module_compiles_or_is_rejected() {
    let mut failures = Vec::new();
    let mut count = 0;
    let mut files: Vec<_> = TIERS
        .iter()
        .flat_map(|tier| {
            std::fs::read_dir(spec_dir(tier))
                .unwrap_or_else(|e| panic!("spec tests at ../shared/spec-testsuite/{tier}: {e}"))
                .map(|e| e.unwrap().path())
        })
        .filter(|p| p.extension().is_some_and(|e| e == "wast"))
        .collect();
    files.sort();
    for path in files {
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        let text = std::fs::read_to_string(&path).unwrap();
        let mut lexer = wast::lexer::Lexer::new(&text);
        lexer.allow_confusing_unicode(true);
        let buf = match parser::ParseBuffer::new_with_lexer(lexer) {
            Ok(b) => b,
            Err(e) => panic!("{name}: {e}"),
        };
        let wast: Wast<'_> = match parser::parse(&buf) {
            Ok(w) => w,
            Err(e) => panic!("{name}: {e}"),
        };
        for directive in wast.directives {
            match directive {
                WastDirective::Module(mut m) | WastDirective::ModuleDefinition(mut m) => {
                    let Some(bytes) = encode(&mut m) else {
                        continue;
                    };
                    count += 1;
                    if let Err(e) = compile(&bytes, &opts()) {
                        failures.push(format!("{name}: valid module rejected: {e}"));
                    }
                }
                WastDirective::AssertInvalid {
                    mut module,
                    message,
                    ..
                }
                | WastDirective::AssertMalformed {
                    mut module,
                    message,
                    ..
                } => {
                    let Some(bytes) = encode(&mut module) else {
                        continue;
                    };
                    count += 1;
                    match compile(&bytes, &opts()) {
                        Ok(_) => {
                            failures.push(format!("{name}: accepted invalid module ({message})"))
                        }
                        Err(e @ (CompileError::Internal(_) | CompileError::Codegen { .. })) => {
                            failures.push(format!("{name}: internal error on invalid module: {e}"))
                        }
                        Err(_) => {}
                    }
                }
                _ => {}
            }
        }
    }
    assert!(count > 1000, "only {count} modules found");
    assert!(
        failures.is_empty(),
        "{} of {count} failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
