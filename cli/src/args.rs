//! The command line: clap definitions and their translation into [`CompileOptions`].

// The doc comments of the clap definitions are `--help` text, printed as written: `argv[0]`
// there is not a rustdoc link.
#![allow(
    rustdoc::broken_intra_doc_links,
    reason = "clap's help text, not markdown"
)]

use std::ffi::OsString;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};
use kiln_abi::grant;
use kiln_abi::info::ResourceLimits;
use kiln_compiler::{
    Arch, CompileOptions, MemoryBase, ModuleKind, OptLevel, RunConfig, Target, TargetCpu,
    UnknownImports, SUPPORTED_TRIPLES,
};

const LONG_ABOUT: &str = "\
Kiln compiles a WebAssembly module that targets WASI preview1 (a \"command\": it exports \
`_start` and `memory` and imports only from `wasi_snapshot_preview1`, or the older `wasi_unstable`) \
ahead of time into one \
standalone native Linux executable (x86-64 or AArch64, glibc or musl: see `kiln targets`). The executable needs no WebAssembly runtime, starts \
like a native program and keeps WebAssembly's sandbox: the program reaches only the \
directories and environment variables granted to it.

Grants are baked in at compile time: --dir HOST[::GUEST] preopens a directory (GUEST defaults \
to HOST, exactly as with `wasmtime run --dir`), --env K=V sets a variable, --env K passes the \
host's value of K when the executable starts, --inherit-env passes the whole host environment. \
Nothing else is granted. Command-line arguments are passed through unchanged.

Input may be a binary module (.wasm) or WebAssembly text (.wat).";

const EXAMPLES: &str = "\
EXAMPLES:
    Compile a module and run the executable:
        kiln compile app.wasm -o app
        ./app input.txt

    Grant a directory (seen by the program as /data) and two environment variables:
        kiln compile app.wasm -o app --dir ./data::/data --env LANG --env MODE=fast

    Compile and run in one step, like `wasmtime run`:
        kiln run app.wat --dir . -- arg1 arg2

    Only produce the relocatable object (link it yourself with the runtime):
        kiln compile app.wasm -o app.o --emit obj

    Write the Cranelift IR of every function into the directory clif/, to read or diff:
        kiln compile app.wasm -o clif --emit clif

EXIT STATUS:
    0    success. `kiln run` exits with the program's own status instead (134 when it
         traps, 128 + N when signal N ends it).
    1    an error kiln reports: the input cannot be read, is not a valid module or not a
         WASI command Kiln compiles, linking failed, the output cannot be written. One
         message on stderr names the file and, where it applies, the byte offset. Nothing
         is written at the output path (an existing file there is left as it was).
    2    a usage error: an unknown command or flag, a missing or invalid value, flags that
         conflict (as with wasmtime and every clap-based tool).

ENVIRONMENT:
    XDG_CACHE_HOME
          `kiln run` caches executables in $XDG_CACHE_HOME/kiln (else ~/.cache/kiln; with
          neither that nor $HOME set it runs uncached, with a note); see `kiln cache --help`.
    KILN_CACHE_MAX_SIZE
          the cache's size bound (default 1G; K, M, G suffixes).
    CC    the C compiler driver used to link for this machine's architecture (default `cc`);
          --linker overrides it. Another architecture's glibc target links with
          `<arch>-linux-gnu-gcc`; the musl targets carry their C library and link with
          `ld.gold` (this machine's architecture) or `ld.lld` when installed.";

#[derive(Parser, Debug)]
#[command(
    name = "kiln",
    version,
    about = "Compile WASI WebAssembly modules ahead of time into standalone native executables",
    long_about = LONG_ABOUT,
    after_long_help = EXAMPLES,
    propagate_version = true
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
    /// Print each phase of the work on stderr with its time and the counts that explain it
    #[arg(short, long, global = true)]
    pub verbose: bool,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Compile a WASI command module into a native executable (or object file)
    #[command(
        long_about = "Compile IN (.wasm or .wat) into a standalone native executable at OUT. \
                      The grants given here are baked into the executable.",
        after_long_help = EXAMPLES
    )]
    Compile(CompileArgs),
    /// Compile a module (or take it from the cache) and run it with ARGS
    #[command(
        long_about = "Compile IN to an executable, run it with ARGS and exit with its \
                      status. The program's argv[0] is IN's file name, as with `wasmtime run`, \
                      unless --argv0 is given. The executable is kept in a cache (see `kiln \
                      cache --help`): running the same module with the same flags again \
                      starts it at once, without compiling.",
        after_long_help = EXAMPLES
    )]
    Run(RunArgs),
    /// List the targets this kiln compiles for, their CPU choices and what linking needs
    Targets,
    // The commands below are about using kiln, not about what it compiles.
    /// Show what a module or a Kiln executable contains: imports, exports, features, grants
    #[command(long_about = INSPECT_ABOUT)]
    Inspect(InspectArgs),
    /// Show or empty the cache of executables `kiln run` keeps
    #[command(long_about = CACHE_ABOUT)]
    Cache {
        #[command(subcommand)]
        action: CacheAction,
    },
    /// Print a shell completion script for kiln
    #[command(long_about = COMPLETIONS_ABOUT)]
    Completions {
        /// The shell to complete in
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print kiln's manual page (roff), or write one page per command into DIR
    #[command(
        long_about = "Print the manual page kiln(1) in roff, generated from the same \
                            definitions as --help: `kiln man | man -l -`. With DIR, write \
                            kiln.1 and one page per command (kiln-compile.1, ...) into DIR, \
                            e.g. /usr/local/share/man/man1."
    )]
    Man {
        /// The directory to write the pages into (created if needed)
        #[arg(value_name = "DIR")]
        dir: Option<PathBuf>,
    },
}

const INSPECT_ABOUT: &str = "\
Show what FILE contains. For a WebAssembly module (.wasm or .wat): its imports (and which of \
them Kiln provides), exports, memories, tables, globals, the proposals it uses, its function \
count and code size, and its producers section (source language, compiler). For an \
executable Kiln built: the Kiln version and target it was built with, the CPU features it \
needs, the grants and limits baked into it, and its module's imports and exports. --json \
prints the same as one JSON object, for scripts.";

const CACHE_ABOUT: &str = "\
`kiln run` keeps each executable it compiles in a cache, named by a hash of the module, of \
this kiln and of every option that changes the output, so running the same module again \
starts the executable at once. The cache is $XDG_CACHE_HOME/kiln (else ~/.cache/kiln), holds \
at most KILN_CACHE_MAX_SIZE bytes (default 1G; K, M and G suffixes) and drops the least \
recently used executables past that. `kiln run --no-cache` neither reads nor fills it.";

const COMPLETIONS_ABOUT: &str = "\
Print a completion script for SHELL on stdout, generated from kiln's own argument \
definitions. For example:
    bash: kiln completions bash > ~/.local/share/bash-completion/completions/kiln
    zsh:  kiln completions zsh > ~/.zfunc/_kiln   (with ~/.zfunc in $fpath)
    fish: kiln completions fish > ~/.config/fish/completions/kiln.fish";

#[derive(Args, Debug)]
pub struct InspectArgs {
    /// A WebAssembly module (binary or text) or an executable Kiln built
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
    /// Print one JSON object instead of text
    #[arg(long)]
    pub json: bool,
}

#[derive(Subcommand, Debug, Clone, Copy, PartialEq, Eq)]
pub enum CacheAction {
    /// Print the cache's directory
    Dir,
    /// Print how many executables the cache holds and their total size
    Size,
    /// Remove every cached executable
    Clean,
}

#[derive(Args, Debug)]
pub struct CompileArgs {
    /// The module to compile: a wasm binary or WebAssembly text
    #[arg(value_name = "IN")]
    pub input: PathBuf,
    /// Where to write the result (written atomically; with `--emit clif`, a directory)
    #[arg(short = 'o', long = "output", value_name = "OUT")]
    pub output: PathBuf,
    /// What to produce: a linked executable, the relocatable object alone, or the
    /// Cranelift IR of every function
    #[arg(long, value_enum, default_value_t = Emit::Exe)]
    pub emit: Emit,
    #[command(flatten)]
    pub build: BuildArgs,
}

#[derive(Args, Debug)]
pub struct RunArgs {
    /// The module to compile and run: a wasm binary or WebAssembly text
    #[arg(value_name = "IN")]
    pub input: PathBuf,
    #[command(flatten)]
    pub build: BuildArgs,
    /// Compile afresh, neither reading nor filling the cache (see `kiln cache --help`)
    #[arg(long)]
    pub no_cache: bool,
    /// Arguments passed to the program (after `--`)
    #[arg(last = true, value_name = "ARGS")]
    pub args: Vec<OsString>,
}

/// Flags shared by `compile` and `run`.
#[derive(Args, Debug)]
pub struct BuildArgs {
    /// Preopen host directory HOST, seen by the program as GUEST (default: HOST). Repeatable.
    /// A relative HOST is resolved against the working directory when the executable starts
    #[arg(long = "dir", value_name = "HOST[::GUEST]", value_parser = parse_dir)]
    pub dirs: Vec<(String, String)>,
    /// Set environment variable K to V, or with `K` alone pass the host's K at start-up
    /// (absent on the host means absent in the program). Repeatable
    #[arg(long = "env", value_name = "K[=V]", value_parser = parse_env)]
    pub env: Vec<(String, Option<String>)>,
    /// Pass the host's whole environment to the program, plus the --env entries
    #[arg(long)]
    pub inherit_env: bool,
    /// The program's argv[0], instead of the path the executable was started with
    #[arg(long, value_name = "NAME")]
    pub argv0: Option<String>,
    /// Let a launcher add grants (KILN_DIR, KILN_ENV, KILN_TCPLISTEN) and tighten limits
    /// (KILN_MAX_MEMORY, ..., KILN_TIMEOUT) through the environment when the executable
    /// starts (see README: run-time grants). Without it the executable has exactly the
    /// grants and limits given here
    #[arg(long)]
    pub allow_runtime_grants: bool,
    /// The default, kept for old scripts: run-time grants are refused unless
    /// --allow-runtime-grants is given
    #[arg(long, hide = true, conflicts_with = "allow_runtime_grants")]
    pub no_runtime_grants: bool,
    /// Bytes of native stack wasm code may use before trapping with `call stack exhausted`
    /// (default: the runtime's)
    #[arg(long, value_name = "BYTES")]
    pub max_wasm_stack: Option<u64>,
    /// Bytes each linear memory may grow to (e.g. 64MiB): `memory.grow` past it returns -1,
    /// as with `wasmtime -W max-memory-size`; a larger initial memory fails at start-up
    #[arg(long, value_name = "BYTES", value_parser = kiln_abi::limit::parse_amount)]
    pub max_memory: Option<u64>,
    /// Elements each table may grow to: `table.grow` past it returns -1
    #[arg(long, value_name = "N", value_parser = kiln_abi::limit::parse_amount)]
    pub max_table_elements: Option<u64>,
    /// File descriptors the program may hold open at once, stdio and preopens included:
    /// opening one more fails with EMFILE
    #[arg(long, value_name = "N", value_parser = parse_open_files)]
    pub max_open_files: Option<u32>,
    /// Stop the program with `wasm trap: interrupt` (exit status 134) after DURATION of
    /// wall-clock time (e.g. 500ms, 10s, 2m), as `wasmtime -W timeout`. The code gets a
    /// cheap check at every function entry and loop header; without --timeout it has none
    #[arg(long, value_name = "DURATION", value_parser = kiln_abi::limit::parse_duration_ms)]
    pub timeout: Option<u64>,
    /// Stop the program with `wasm trap: all fuel consumed by WebAssembly` (exit status 134)
    /// once it has executed N units of fuel, counted per operator as `wasmtime -W fuel=N`
    /// counts them: a deterministic budget. The code counts as it runs; without --fuel it
    /// does not
    #[arg(long, value_name = "N", value_parser = kiln_abi::limit::parse_amount)]
    pub fuel: Option<u64>,
    /// Optimisation level: 0 none, 1 speed, 2 speed and size
    #[arg(short = 'O', value_name = "LEVEL", default_value_t = 2,
          value_parser = clap::value_parser!(u8).range(0..=2))]
    pub opt_level: u8,
    #[arg(long, value_name = "TRIPLE", help = target_help(), value_parser = parse_target)]
    pub target: Option<String>,
    #[arg(long, value_name = "CPU", help = target_cpu_help(), value_parser = parse_target_cpu)]
    pub target_cpu: Option<String>,
    /// What to do with imports Kiln cannot provide: refuse to compile, or trap when called
    #[arg(long, value_enum, value_name = "MODE", default_value_t = UnknownImportsArg::Reject)]
    pub unknown_imports: UnknownImportsArg,
    /// Where the code finds linear memory 0 (x86-64): `fixed`, an address built into the
    /// code (0x60000000), which frees a register in every function; `loaded`, from the
    /// instance, for a process where that address range is taken (the executable says so
    /// when it is)
    #[arg(long, value_enum, value_name = "WHERE", default_value_t = MemoryBaseArg::Fixed)]
    pub memory_base: MemoryBaseArg,
    /// The C compiler driver used to link (default: $CC, else `cc`)
    #[arg(long, value_name = "CC")]
    pub linker: Option<OsString>,
    /// Keep the executable's symbol table (names of the wasm functions and the runtime's,
    /// for perf and gdb); by default it is stripped, a third of a small executable
    #[arg(long)]
    pub debug: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Emit {
    /// A relocatable ELF object file
    Obj,
    /// A linked, standalone executable
    Exe,
    /// The Cranelift IR of every function, into the directory OUT (created if needed):
    /// `<index>-<name>.unopt.clif` as translated from wasm and `<index>-<name>.opt.clif` as
    /// optimised and lowered, with each wasm instruction as a comment above its IR;
    /// exports and the start function also get `<index>-<name>.trampoline.{unopt,opt}.clif`.
    /// Files of the same names are replaced, others left alone
    Clif,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum MemoryBaseArg {
    Fixed,
    Loaded,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum UnknownImportsArg {
    Reject,
    Trap,
}

fn target_help() -> String {
    format!(
        "The target to compile for: {} (default: {})",
        SUPPORTED_TRIPLES.join(", "),
        SUPPORTED_TRIPLES[0]
    )
}

fn target_cpu_help() -> String {
    let mut help = String::from(
        "Which CPUs the executable must run on: `native` (default for this machine's \
         architecture) uses every feature of this machine, and the executable refuses to \
         start on a CPU without them; or a level:",
    );
    for arch in Arch::ALL {
        for level in arch.cpu_levels() {
            help.push_str(&format!(" `{}` runs on {};", level.name, level.about));
        }
    }
    help.pop();
    help
}

/// A supported target triple.
fn parse_target(s: &str) -> Result<String, String> {
    Target::with_default_cpu(s)
        .map(|_| s.to_string())
        .map_err(|e| e.to_string())
}

/// `native` or a CPU level of some architecture (checked against the target's in
/// [`BuildArgs::compile_options`]).
fn parse_target_cpu(s: &str) -> Result<String, String> {
    let known = s == "native" || Arch::ALL.iter().any(|a| a.cpu_level(s).is_some());
    if known {
        return Ok(s.to_string());
    }
    let names: Vec<String> = Arch::ALL
        .iter()
        .map(|&a| format!("{}: {}", a.name(), kiln_compiler::cpu_names(a)))
        .collect();
    Err(format!("unknown CPU; choose one of {}", names.join("; ")))
}

fn parse_open_files(s: &str) -> Result<u32, String> {
    let n = kiln_abi::limit::parse_amount(s)?;
    u32::try_from(n).map_err(|_| format!("`{s}`: at most {}", u32::MAX))
}

/// `HOST[::GUEST]`, as `wasmtime run --dir` spells it (the rules of `KILN_DIR` too).
pub fn parse_dir(s: &str) -> Result<(String, String), String> {
    let (host, guest) = grant::parse_dir(s).map_err(|e| e.to_string())?;
    Ok((host.to_string(), guest.to_string()))
}

/// `K=V` (fixed) or `K` (read from the host at start-up); the rules of `KILN_ENV` too.
pub fn parse_env(s: &str) -> Result<(String, Option<String>), String> {
    let (key, value) = grant::parse_env(s).map_err(|e| e.to_string())?;
    Ok((key.to_string(), value.map(str::to_string)))
}

impl BuildArgs {
    /// The library [`Options`](crate::Options) these flags ask for: [`Self::compile_options`]
    /// and the linker (`--linker`, else `$CC`, else `cc`; `--debug` keeps the symbols).
    pub fn options(&self) -> Result<crate::Options, String> {
        Ok(crate::Options {
            compile: self.compile_options()?,
            linker: crate::Linker::resolve(self.linker.as_deref()).keeping_symbols(self.debug),
        })
    }

    /// The compiler's options these flags ask for; an error (a usage error) when `--target-cpu` is not
    /// a CPU of the `--target`'s architecture.
    pub fn compile_options(&self) -> Result<CompileOptions, String> {
        let triple = self.target.as_deref().unwrap_or(SUPPORTED_TRIPLES[0]);
        let target = match &self.target_cpu {
            None => Target::with_default_cpu(triple),
            Some(cpu) => Target::new(triple, TargetCpu::from_name(cpu)),
        }
        .map_err(|e| e.to_string())?;
        Ok(CompileOptions {
            opt_level: match self.opt_level {
                0 => OptLevel::None,
                1 => OptLevel::Speed,
                _ => OptLevel::SpeedAndSize,
            },
            target,
            kind: ModuleKind::Command,
            memory_base: match self.memory_base {
                MemoryBaseArg::Fixed => MemoryBase::Fixed,
                MemoryBaseArg::Loaded => MemoryBase::Loaded,
            },
            unknown_imports: match self.unknown_imports {
                UnknownImportsArg::Reject => UnknownImports::Reject,
                UnknownImportsArg::Trap => UnknownImports::Trap,
            },
            run_config: RunConfig {
                argv0: self.argv0.clone(),
                env: self.env.clone(),
                inherit_env: self.inherit_env,
                dirs: self.dirs.clone(),
                runtime_grants: self.allow_runtime_grants,
                max_wasm_stack: self.max_wasm_stack.unwrap_or(0),
                limits: ResourceLimits {
                    max_memory: self.max_memory,
                    max_table_elements: self.max_table_elements,
                    max_open_files: self.max_open_files,
                    timeout_ms: self.timeout,
                    fuel: self.fuel,
                },
                cpu_features: Vec::new(), // filled in by the compiler
            },
            features: None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dir_spellings() {
        assert_eq!(parse_dir("a").unwrap(), ("a".into(), "a".into()));
        assert_eq!(
            parse_dir("./d::/data").unwrap(),
            ("./d".into(), "/data".into())
        );
        assert!(parse_dir("::x").is_err());
        assert!(parse_dir("x::").is_err());
    }

    #[test]
    fn env_spellings() {
        assert_eq!(parse_env("K=V").unwrap(), ("K".into(), Some("V".into())));
        assert_eq!(parse_env("K=").unwrap(), ("K".into(), Some("".into())));
        assert_eq!(
            parse_env("K=a=b").unwrap(),
            ("K".into(), Some("a=b".into()))
        );
        assert_eq!(parse_env("K").unwrap(), ("K".into(), None));
        assert!(parse_env("=V").is_err());
    }

    fn build_args(extra: &[&str]) -> Result<BuildArgs, clap::Error> {
        let argv = ["kiln", "compile", "a.wasm", "-o", "a"];
        let cli = Cli::try_parse_from(argv.iter().chain(extra))?;
        let Command::Compile(c) = cli.command else {
            panic!()
        };
        Ok(c.build)
    }

    #[test]
    fn target_and_cpu_become_the_target() {
        let o = build_args(&[
            "--target",
            "x86_64-unknown-linux-gnu",
            "--target-cpu",
            "x86-64-v3",
        ])
        .unwrap()
        .compile_options()
        .unwrap();
        let want = Target::new(
            "x86_64-unknown-linux-gnu",
            TargetCpu::Level("x86-64-v3".into()),
        );
        assert_eq!(o.target, want.unwrap());
        let o = build_args(&["--target-cpu", "native"])
            .unwrap()
            .compile_options()
            .unwrap();
        assert_eq!(o.target.cpu(), &TargetCpu::Native);
    }

    #[test]
    fn unsupported_targets_and_cpus_are_usage_errors() {
        let e = build_args(&["--target", "riscv64gc-unknown-linux-gnu"]).unwrap_err();
        assert_eq!(e.kind(), clap::error::ErrorKind::ValueValidation);
        let msg = e.to_string();
        assert!(
            msg.contains("supported targets: x86_64-unknown-linux-musl"),
            "{msg}"
        );
        let e = build_args(&["--target-cpu", "pentium"]).unwrap_err();
        let msg = e.to_string();
        assert!(
            msg.contains("x86_64: native, x86-64-v2, x86-64-v3"),
            "{msg}"
        );
    }

    #[test]
    fn clap_definition_is_consistent() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }

    #[test]
    fn flags_become_options() {
        let cli = Cli::try_parse_from([
            "kiln",
            "compile",
            "a.wasm",
            "-o",
            "a",
            "--dir",
            "x::/y",
            "--env",
            "A=1",
            "--env",
            "B",
            "--argv0",
            "app",
            "--no-runtime-grants",
            "-O",
            "0",
            "--max-wasm-stack",
            "4096",
            "--max-memory",
            "1MiB",
            "--max-open-files",
            "20",
            "--timeout",
            "1.5s",
            "--fuel",
            "1M",
        ])
        .unwrap();
        let Command::Compile(c) = cli.command else {
            panic!()
        };
        let o = c.build.compile_options().unwrap();
        assert_eq!(o.opt_level, OptLevel::None);
        assert_eq!(o.target, Target::default());
        let rc = o.run_config;
        assert_eq!(rc.dirs, vec![("x".to_string(), "/y".to_string())]);
        assert_eq!(
            rc.env,
            vec![("A".into(), Some("1".into())), ("B".into(), None)]
        );
        assert_eq!(rc.argv0.as_deref(), Some("app"));
        assert!(!rc.runtime_grants);
        assert_eq!(rc.max_wasm_stack, 4096);
        assert_eq!(
            rc.limits,
            ResourceLimits {
                max_memory: Some(1 << 20),
                max_table_elements: None,
                max_open_files: Some(20),
                timeout_ms: Some(1500),
                fuel: Some(1 << 20),
            }
        );
        let allow = [
            "kiln",
            "compile",
            "a.wasm",
            "-o",
            "a",
            "--allow-runtime-grants",
        ];
        let Command::Compile(c) = Cli::try_parse_from(allow).unwrap().command else {
            panic!()
        };
        assert!(c.build.compile_options().unwrap().run_config.runtime_grants);
        let Command::Compile(c) = Cli::try_parse_from(&allow[..5]).unwrap().command else {
            panic!()
        };
        assert!(!c.build.compile_options().unwrap().run_config.runtime_grants);
    }
}
