//! Arbitrary bytes (and, when they are UTF-8, arbitrary text) into `kiln compile`'s library
//! entry: an error is fine, a panic is a bug.
#![no_main]

use kiln_compiler::{compile, CompileOptions, ModuleKind};

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    for kind in [ModuleKind::Command, ModuleKind::Library] {
        let opts = CompileOptions {
            kind,
            ..Default::default()
        };
        let _ = compile(data, &opts);
    }
});
