//! The `kiln` command: compile a WASI command module and link it with the embedded runtime
//! into a native executable.
//!
//! Two things live here. The library API ([`compile_to_object`], [`compile_to_executable`],
//! [`load`], all driven by one [`Options`]) for Rust programs that compile WebAssembly
//! themselves; and everything the `kiln` binary does ([`main_with_args`]), a layer over that
//! API, here so that the test suite can run `kiln` in-process, argument parsing included.
//!
//! ```
//! let wat = r#"(module (memory (export "memory") 1) (func (export "_start")))"#;
//! let dir = tempfile::tempdir()?;
//! let exe = dir.path().join("app");
//! kiln::compile_to_executable(wat.as_bytes(), &kiln::Options::default(), &exe)?;
//! assert!(std::process::Command::new(&exe).status()?.success());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod api;
pub mod args;
pub mod cache;
pub mod inspect;
pub mod link;
/// The in-process object loader (`kiln_runtime`'s, feature `loader`), behind [`load`].
#[cfg(any(target_arch = "x86_64", target_arch = "aarch64"))]
pub use kiln_runtime::loader;
mod output;
mod prelink;
pub mod report;
mod runtime_files;
pub mod signals;

use std::ffi::OsString;
use std::fmt;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command as Process;

use clap::Parser;
use kiln_compiler::CompileOptions;

#[cfg(any(target_arch = "x86_64", target_arch = "aarch64"))]
pub use api::load;
pub use api::{
    compile_to_executable, compile_to_executable_reported, compile_to_object,
    compile_to_object_reported, link_object, link_object_reported, BuildError, Options,
};
pub use args::{CacheAction, Cli, Command, Emit};
pub use cache::Cache;
pub use link::{link_executable, runtime_lib, Linker, RUNTIMES};
pub use report::Reporter;

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
/// Errors go to `stderr`; `--help`/`--version` go to stdout. `kiln run` starts the program
/// as a child process and waits for it.
pub fn main_with_args<I, T>(args: I, stderr: &mut dyn Write) -> i32
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    run_kiln(args, stderr, StartProgram::Spawn)
}

/// The `kiln` binary: [`main_with_args`] on the process's arguments, except that `kiln run`
/// replaces the `kiln` process with the program (`execve`), so the program's exit status
/// and signals reach the caller unchanged and nothing of `kiln` stays in memory. Returns
/// only when `kiln` itself exits.
pub fn main() -> i32 {
    run_kiln(
        std::env::args_os(),
        &mut std::io::stderr(),
        StartProgram::Exec,
    )
}

/// How `kiln run` starts the program.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StartProgram {
    /// As a child process; `kiln` waits and returns its status.
    Spawn,
    /// In place of `kiln` (`execve`).
    Exec,
}

fn run_kiln<I, T>(args: I, stderr: &mut dyn Write, start: StartProgram) -> i32
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
        Command::Inspect(_)
        | Command::Cache { .. }
        | Command::Completions { .. }
        | Command::Man { .. } => {
            return match tool_command(&cli.command) {
                Ok(()) => 0,
                Err(e) => {
                    let _ = writeln!(stderr, "kiln: error: {e}");
                    1
                }
            }
        }
    };
    // Flags that are valid alone but not together (a CPU of another architecture).
    let options = match build.options() {
        Ok(options) => options,
        Err(msg) => {
            use clap::CommandFactory;
            let e = Cli::command().error(clap::error::ErrorKind::ArgumentConflict, msg);
            return usage_error(e, stderr);
        }
    };
    let report = Reporter::new(cli.verbose, Reporter::terminal());
    let result = match &cli.command {
        Command::Compile(c) => {
            compile_file(&c.input, &c.output, c.emit, &options, &report).map(|()| 0)
        }
        Command::Run(r) => {
            let cache = match r.no_cache {
                true => Ok(None),
                false => Cache::user_if_any(),
            };
            if let Ok(None) = cache {
                if !r.no_cache {
                    let _ = writeln!(
                        stderr,
                        "kiln: note: {}: running without the cache",
                        cache::NO_CACHE_DIR
                    );
                }
            }
            match cache {
                Ok(cache) => {
                    let run = RunRequest {
                        input: &r.input,
                        opts: &options.compile,
                        linker: &options.linker,
                        cache: cache.as_ref(),
                    };
                    compile_and_run(&run, &r.args, start, &report, stderr)
                }
                Err(e) => Err(Error::new(
                    &r.input,
                    format!("cannot use the cache ({e}); `--no-cache` runs without it"),
                )),
            }
        }
        _ => unreachable!("answered above"),
    };
    report.flush(stderr);
    match result {
        Ok(code) => code,
        Err(e) => {
            let _ = writeln!(stderr, "kiln: error: {e}");
            1
        }
    }
}

/// The commands that compile nothing: `inspect`, `cache`, `completions`, `man`.
fn tool_command(command: &Command) -> Result<(), String> {
    tool_command_to(command, &mut std::io::stdout().lock())
}

/// What `kiln inspect`, `kiln cache`, `kiln completions` and `kiln man` print, written to
/// `stdout` (`kiln man DIR` writes files instead).
pub fn tool_command_to(command: &Command, stdout: &mut dyn Write) -> Result<(), String> {
    use clap::CommandFactory;
    let written = |r: std::io::Result<()>| r.map_err(|e| format!("cannot write: {e}"));
    match command {
        Command::Cache { action } => {
            let cache = Cache::user()?;
            match action {
                CacheAction::Dir => written(writeln!(stdout, "{}", cache.dir().display())),
                CacheAction::Size => {
                    let u = cache.usage()?;
                    written(writeln!(
                        stdout,
                        "{} in {} executable{} (bound: {}) in {}",
                        cache::human_size(u.bytes),
                        u.entries,
                        if u.entries == 1 { "" } else { "s" },
                        cache::human_size(cache.max_size()),
                        cache.dir().display()
                    ))
                }
                CacheAction::Clean => {
                    let u = cache.clean()?;
                    written(writeln!(
                        stdout,
                        "removed {} executable{} ({}) from {}",
                        u.entries,
                        if u.entries == 1 { "" } else { "s" },
                        cache::human_size(u.bytes),
                        cache.dir().display()
                    ))
                }
            }
        }
        Command::Inspect(i) => {
            let report =
                inspect::inspect(&i.file).map_err(|e| format!("{}: {e}", i.file.display()))?;
            if i.json {
                let text = serde_json::to_string_pretty(&report).map_err(|e| e.to_string())?;
                written(writeln!(stdout, "{text}"))
            } else {
                written(write!(stdout, "{}", inspect::render_text(&report)))
            }
        }
        Command::Completions { shell } => {
            clap_complete::generate(*shell, &mut Cli::command(), "kiln", stdout);
            Ok(())
        }
        Command::Man { dir: None } => written(clap_mangen::Man::new(Cli::command()).render(stdout)),
        Command::Man { dir: Some(dir) } => {
            std::fs::create_dir_all(dir)
                .map_err(|e| format!("{}: cannot create the directory: {e}", dir.display()))?;
            clap_mangen::generate_to(Cli::command(), dir)
                .map_err(|e| format!("{}: cannot write the pages: {e}", dir.display()))
        }
        _ => unreachable!("only the commands that compile nothing come here"),
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

/// Reads the module at `input`, timed as the phase `read file` of `report`.
fn read_module(input: &Path, report: &Reporter) -> Result<Vec<u8>, Error> {
    let bytes = report.time(
        "read file",
        || std::fs::read(input),
        |r| match r {
            Ok(b) => format!("{} bytes", b.len()),
            Err(_) => String::new(),
        },
    );
    bytes.map_err(|e| Error::new(input, format!("cannot read: {e}")))
}

/// The CLI's error for a failure of the library API: a compile error names the module,
/// anything after it the output.
fn build_error(input: &Path, output: &Path, e: BuildError) -> Error {
    match e {
        BuildError::Compile(_) => Error::new(input, e.to_string()),
        BuildError::Output(_) | BuildError::Load(_) => Error::new(output, e.to_string()),
    }
}

/// `kiln compile`: writes an executable (or object) at `output`, atomically: on error nothing
/// is left at `output` and a file already there is untouched.
pub fn compile_file(
    input: &Path,
    output: &Path,
    emit: Emit,
    options: &Options,
    report: &Reporter,
) -> Result<(), Error> {
    if emit == Emit::Clif {
        return write_clif(input, output, &options.compile);
    }
    let bytes = read_module(input, report)?;
    match emit {
        Emit::Exe => compile_to_executable_reported(&bytes, options, output, report)
            .map_err(|e| build_error(input, output, e)),
        _ => {
            let object = compile_to_object_reported(&bytes, options, report)
                .map_err(|e| build_error(input, output, e))?;
            output::write_atomically(output, false, |tmp| {
                std::fs::write(tmp, &object).map_err(|e| format!("cannot write: {e}"))
            })
            .map_err(|message| Error::new(output, message))
        }
    }
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

/// How `kiln run` came by the executable it started.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CacheUse {
    /// Found in the cache: nothing was compiled.
    Hit,
    /// Compiled and added to the cache.
    Miss,
    /// Compiled into a temporary directory, the cache not consulted (`--no-cache`).
    Off,
}

/// An executable ready to run: a cache entry, or one in a temporary directory that is
/// removed when this is dropped.
#[derive(Debug)]
pub struct RunnableExecutable {
    path: PathBuf,
    _temporary: Option<tempfile::TempDir>,
    /// Where it came from.
    pub cache: CacheUse,
}

impl RunnableExecutable {
    pub fn path(&self) -> &Path {
        &self.path
    }
}

/// What `kiln run` is asked to run: a module, the options to compile it with, the linker,
/// and the cache to use (`None`: compile into a temporary directory).
#[derive(Clone, Copy, Debug)]
pub struct RunRequest<'a> {
    pub input: &'a Path,
    pub opts: &'a CompileOptions,
    pub linker: &'a Linker,
    pub cache: Option<&'a Cache>,
}

/// The executable `kiln run` starts: the cache's entry when the cache holds one for this
/// module and these options, else compiled and linked (into the cache if there is one,
/// else into a temporary directory).
pub fn executable_for_run(
    run: &RunRequest<'_>,
    report: &Reporter,
) -> Result<RunnableExecutable, Error> {
    let RunRequest {
        input,
        opts,
        linker,
        cache,
    } = *run;
    let bytes = std::fs::read(input).map_err(|e| Error::new(input, format!("cannot read: {e}")))?;
    let options = Options {
        compile: opts.clone(),
        linker: linker.clone(),
    };
    let compile = |bytes: &[u8]| {
        compile_to_object_reported(bytes, &options, report)
            .map_err(|e| Error::new(input, e.to_string()))
    };
    let link = |object: &[u8], exe: &Path| {
        link_object_reported(object, &options, exe, report).map_err(|e| e.to_string())
    };
    let Some(cache) = cache else {
        let object = compile(&bytes)?;
        let dir = tempfile::Builder::new()
            .prefix("kiln-run-")
            .tempdir()
            .map_err(|e| Error::new(input, format!("cannot create a temporary directory: {e}")))?;
        let stem = input.file_stem().unwrap_or("module".as_ref());
        let exe = dir.path().join(stem);
        link(&object, &exe).map_err(|m| Error::new(input, m))?;
        return Ok(RunnableExecutable {
            path: exe,
            _temporary: Some(dir),
            cache: CacheUse::Off,
        });
    };
    let key = report.time(
        "cache key",
        || cache::Key::new(&bytes, opts, linker),
        |_| format!("SHA-256 of {} bytes and the options", bytes.len()),
    );
    let found = report.time(
        "cache lookup",
        || cache.lookup(&key),
        |found| match found {
            Some(path) => format!("hit: {}", path.display()),
            None => format!("miss in {}", cache.dir().display()),
        },
    );
    if let Some(path) = found {
        return Ok(RunnableExecutable {
            path,
            _temporary: None,
            cache: CacheUse::Hit,
        });
    }
    let object = compile(&bytes)?;
    let path = cache
        .insert(&key, |tmp| link(&object, tmp))
        .map_err(|m| Error::new(input, m))?;
    Ok(RunnableExecutable {
        path,
        _temporary: None,
        cache: CacheUse::Miss,
    })
}

/// `kiln run`: starts the executable for `input` ([`executable_for_run`]) with `args` and
/// (with [`StartProgram::Spawn`], or for a temporary executable) returns its exit status (128 + signal number if a signal ended it, as a shell reports
/// it; the `kiln` binary then re-raises it). Unless `--argv0` was compiled in, the program's `argv[0]` is `input`'s file name,
/// as with `wasmtime run`.
pub fn compile_and_run(
    run: &RunRequest<'_>,
    args: &[OsString],
    start: StartProgram,
    report: &Reporter,
    log: &mut dyn Write,
) -> Result<i32, Error> {
    use std::os::unix::process::{CommandExt, ExitStatusExt};
    let input = run.input;
    let mut exe = executable_for_run(run, report)?;
    // The program's own output follows: say what kiln did first.
    report.flush(log);
    let mut attempts = 0;
    let status = loop {
        attempts += 1;
        let mut program = Process::new(exe.path());
        // wasmtime's argv[0]: the module's file name.
        program.arg0(input.file_name().unwrap_or(input.as_os_str()));
        program.args(args);
        let started = match (start, exe.cache) {
            // A temporary executable must outlive the program: only a cached one is exec'd.
            (StartProgram::Exec, CacheUse::Hit | CacheUse::Miss) => Err(program.exec()),
            // Spawned (a temporary executable, or `StartProgram::Spawn`): stop signals
            // are forwarded and the temporary directory outlives the program ([`signals`]).
            _ => signals::run_forwarding(&mut program),
        };
        match started {
            Ok(status) => break status,
            // Evicted by another `kiln run` between the lookup and now: build it again.
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && attempts == 1 => {
                let _ = writeln!(log, "kiln: the cached executable vanished; compiling again");
                exe = executable_for_run(run, report)?;
            }
            // Some process forked while another thread of ours held the file open for
            // writing (the rename is done, the descriptor closes on its exec): retry.
            Err(e) if e.kind() == std::io::ErrorKind::ExecutableFileBusy && attempts < 50 => {
                std::thread::sleep(std::time::Duration::from_millis(10));
            }
            Err(e) => {
                return Err(Error::new(
                    input,
                    format!("cannot run the compiled program: {e}"),
                ))
            }
        }
    };
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
