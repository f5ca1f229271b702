//! The `kiln` binary: see `kiln --help`.

fn main() {
    let code = kiln::main_with_args(std::env::args_os(), &mut std::io::stderr());
    std::process::exit(code);
}
