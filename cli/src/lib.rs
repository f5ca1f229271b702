//! The `kiln` command: compile a WASI command module and link it with the embedded runtime
//! into a native executable.
//!
//! Everything the binary does lives here ([`main_with_args`]) so that the test suite can run
//! `kiln` in-process, argument parsing included.

pub mod args;
pub mod link;
mod output;

use std::ffi::OsString;
use std::fmt;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command as Process;

use clap::Parser;
use kiln_compiler::CompileOptions;

pub use args::{Cli, Command, Emit};
pub use link::{link_executable, runtime_lib, Linker, RUNTIMES};

/// An error for the person who ran `kiln`: printed as `kiln: error: <file>: <message>`.
#[derive(Debug)]
pub struct Error {
    pub file: PathBuf,
    pub message: String,
}

impl Error {
    fn new(file: &Path, message: impl Into<String>) -> Error {
        Error {
            file: file.to_owned(),
            message: message.into(),
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.file.display(), self.message)
    }
}

impl std::error::Error for Error {}

/// Runs `kiln` with `args` (`args[0]` is the program name) and returns the exit status.
/// Errors go to `stderr`; `--help`/`--version` go to stdout.
pub fn main_with_args<I, T>(args: I, stderr: &mut dyn Write) -> i32
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    let usage_error = |e: clap::Error, stderr: &mut dyn Write| {
        if e.use_stderr() {
            let _ = write!(stderr, "{}", e.render());
        } else {
            let _ = e.print();
        }
        e.exit_code()
    };
    let cli = match Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(e) => return usage_error(e, stderr),
    };
    let build = match &cli.command {
        Command::Compile(c) => &c.build,
        Command::Run(r) => &r.build,
        Command::Targets => {
            print!("{}", targets_table());
            return 0;
        }
    };
    // Flags that are valid alone but not together (a CPU of another architecture).
    let opts = match build.compile_options() {
        Ok(opts) => opts,
        Err(msg) => {
            use clap::CommandFactory;
            let e = Cli::command().error(clap::error::ErrorKind::ArgumentConflict, msg);
            return usage_error(e, stderr);
        }
    };
    let result = match &cli.command {
        Command::Compile(c) => compile_file(
            &c.input,
            &c.output,
            c.emit,
            &opts,
            &Linker::resolve(c.build.linker.as_deref()).keeping_symbols(c.build.debug),
        )
        .map(|()| 0),
        Command::Targets => unreachable!("answered above"),
        Command::Run(r) => {
            let mut opts = opts;
            if opts.run_config.argv0.is_none() {
                opts.run_config.argv0 = Some(r.input.to_string_lossy().into_owned());
            }
            let linker = Linker::resolve(r.build.linker.as_deref()).keeping_symbols(r.build.debug);
            compile_and_run(&r.input, &opts, &linker, &r.args)
        }
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            let _ = writeln!(stderr, "kiln: error: {e}");
            1
        }
    }
}

/// `kiln targets`: every target this kiln produces executables for (the default first),
/// the CPUs each can be compiled for, and what linking needs on this machine.
pub fn targets_table() -> String {
    use std::fmt::Write as _;
    let mut out = String::new();
    for (i, triple) in kiln_compiler::SUPPORTED_TRIPLES.iter().enumerate() {
        let target = kiln_compiler::Target::with_default_cpu(triple).expect("supported");
        let default = if i == 0 { " (default)" } else { "" };
        let _ = writeln!(out, "{triple}{default}");
        let _ = writeln!(
            out,
            "    --target-cpu: {}",
            kiln_compiler::cpu_names(target.arch())
        );
        let _ = writeln!(out, "    links with: {}", link::link_requirements(&target));
    }
    out
}

/// Compiles the module at `input` into the compiler's object file.
pub fn compile_to_object(input: &Path, opts: &CompileOptions) -> Result<Vec<u8>, Error> {
    let bytes = std::fs::read(input).map_err(|e| Error::new(input, format!("cannot read: {e}")))?;
    kiln_compiler::compile(&bytes, opts).map_err(|e| Error::new(input, e.to_string()))
}

/// `kiln compile`: writes an executable (or object) at `output`, atomically: on error nothing
/// is left at `output` and a file already there is untouched.
pub fn compile_file(
    input: &Path,
    output: &Path,
    emit: Emit,
    opts: &CompileOptions,
    linker: &Linker,
) -> Result<(), Error> {
    if emit == Emit::Clif {
        return write_clif(input, output, opts);
    }
    let object = compile_to_object(input, opts)?;
    if emit == Emit::Obj {
        output::write_atomically(output, false, |tmp| {
            std::fs::write(tmp, &object).map_err(|e| format!("cannot write: {e}"))
        })
    } else {
        output::write_atomically(output, true, |tmp| {
            link_executable(&object, &opts.target, tmp, linker)
        })
    }
    .map_err(|message| Error::new(output, message))
}

/// `kiln compile --emit clif`: the CLIF of every function, before and after optimisation,
/// as files in the directory `dir`.
fn write_clif(input: &Path, dir: &Path, opts: &CompileOptions) -> Result<(), Error> {
    let bytes = std::fs::read(input).map_err(|e| Error::new(input, format!("cannot read: {e}")))?;
    let (_, funcs) = kiln_compiler::compile_and_dump(&bytes, opts)
        .map_err(|e| Error::new(input, e.to_string()))?;
    std::fs::create_dir_all(dir)
        .map_err(|e| Error::new(dir, format!("cannot create the directory: {e}")))?;
    for f in &funcs {
        let stem = f.file_stem();
        for (suffix, text) in [
            ("unopt.clif", &f.unoptimized_clif),
            ("opt.clif", &f.optimized_clif),
        ] {
            let path = dir.join(format!("{stem}.{suffix}"));
            std::fs::write(&path, text)
                .map_err(|e| Error::new(&path, format!("cannot write: {e}")))?;
        }
    }
    Ok(())
}

/// `kiln run`: compiles to a temporary executable, runs it with `args` and returns its exit
/// status (128 + signal number if a signal ended it, as a shell reports it).
pub fn compile_and_run(
    input: &Path,
    opts: &CompileOptions,
    linker: &Linker,
    args: &[OsString],
) -> Result<i32, Error> {
    let object = compile_to_object(input, opts)?;
    let dir = tempfile::Builder::new()
        .prefix("kiln-run-")
        .tempdir()
        .map_err(|e| Error::new(input, format!("cannot create a temporary directory: {e}")))?;
    let stem = input.file_stem().unwrap_or("module".as_ref());
    let exe = dir.path().join(stem);
    link_executable(&object, &opts.target, &exe, linker).map_err(|m| Error::new(input, m))?;
    let status = Process::new(&exe)
        .args(args)
        .status()
        .map_err(|e| Error::new(input, format!("cannot run the compiled program: {e}")))?;
    use std::os::unix::process::ExitStatusExt;
    Ok(status
        .code()
        .unwrap_or_else(|| 128 + status.signal().unwrap_or(0)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emit_clif_writes_each_function_before_and_after_optimisation() {
        let dir = tempfile::tempdir().unwrap();
        let input = dir.path().join("m.wat");
        std::fs::write(
            &input,
            r#"(module
                 (memory (export "memory") 1)
                 (func $add (param i32 i32) (result i32) local.get 0 local.get 1 i32.add)
                 (func (export "_start")))"#,
        )
        .unwrap();
        let out = dir.path().join("clif");
        let mut stderr = Vec::new();
        let args = [
            "kiln".as_ref(),
            "compile".as_ref(),
            input.as_os_str(),
            "--emit".as_ref(),
            "clif".as_ref(),
            "-o".as_ref(),
            out.as_os_str(),
        ];
        let status = main_with_args(args, &mut stderr);
        assert_eq!(status, 0, "{}", String::from_utf8_lossy(&stderr));
        let mut files: Vec<String> = std::fs::read_dir(&out)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        files.sort();
        assert_eq!(
            files,
            [
                "0-add.opt.clif",
                "0-add.unopt.clif",
                "1.opt.clif",
                "1.trampoline.opt.clif",
                "1.trampoline.unopt.clif",
                "1.unopt.clif"
            ]
        );
        let unopt = std::fs::read_to_string(out.join("0-add.unopt.clif")).unwrap();
        assert!(
            unopt.contains(";; @") && unopt.contains(": i32.add\n"),
            "{unopt}"
        );
        assert!(unopt.contains("= iadd v1, v2"), "{unopt}");
        let opt = std::fs::read_to_string(out.join("0-add.opt.clif")).unwrap();
        assert!(opt.contains("iadd"), "{opt}");
    }
}
