//! The `kiln` binary: see `kiln --help`.

fn main() {
    // A panic is a bug in Kiln; when it happens inside code generation, say in which wasm
    // function, so the bug can be reproduced from that function alone.
    let default_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        if let Some(function) = kiln_compiler::function_being_compiled() {
            eprintln!("kiln: internal compiler error while compiling {function}:");
        }
        default_hook(info);
    }));
    let code = kiln::main();
    // `kiln run` of a program a signal ended: end the same way (its files are removed).
    kiln::signals::reraise_child_signal();
    std::process::exit(code);
}
