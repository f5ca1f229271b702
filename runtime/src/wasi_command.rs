//! Running a WASI command the way Node's `new WASI(options)` / `wasi.start(instance)` does:
//! [`WasiOptions`] (`args`, `env`, `preopens`, `returnOnExit`, and stdin/stdout/stderr as the
//! process's own, host files or in-memory buffers), a [`Wasi`] that starts one module once.
//! A layer over the embedding API ([`crate::embed`]) and WASI's context.
//!
//! Captured output lives in an anonymous in-memory file (`memfd_create`) that the guest
//! writes like any regular file; [`Wasi::stdout`] reads it back.
//!
//! ```
//! use kiln_runtime::{Input, Output, Wasi, WasiOptions};
//!
//! let options = WasiOptions {
//!     args: vec!["app".into(), "--fast".into()],
//!     env: vec![("LANG".into(), "C".into())],
//!     preopens: vec![("/sandbox".into(), std::env::temp_dir())],
//!     return_on_exit: true,
//!     stdin: Input::Bytes(b"input\n".to_vec()),
//!     stdout: Output::Capture,
//!     ..WasiOptions::default()
//! };
//! let wasi = Wasi::new(options)?;
//! assert_eq!(wasi.stdout()?, Some(Vec::new())); // nothing written yet
//! # Ok::<(), kiln_runtime::embed::Error>(())
//! ```

#![warn(missing_docs)]

use std::fmt;
use std::fs::File;
use std::io::{Read, Seek, SeekFrom, Write};
use std::os::fd::{FromRawFd, OwnedFd};
use std::path::PathBuf;

use crate::embed::{Error, Instance, InstantiateError, Module, Trap, Unwind};
use crate::wasi::WasiCtx;

/// Where the guest's stdin comes from.
#[derive(Debug, Default)]
pub enum Input {
    /// The process's own stdin (fd 0).
    #[default]
    Inherit,
    /// A host file, read from its current offset.
    File(File),
    /// These bytes, then end of file.
    Bytes(Vec<u8>),
}

/// Where the guest's stdout or stderr goes.
#[derive(Debug, Default)]
pub enum Output {
    /// The process's own stdout or stderr (fd 1 or 2).
    #[default]
    Inherit,
    /// A host file, written from its current offset (or appended, if opened to append).
    File(File),
    /// An in-memory buffer, read with [`Wasi::stdout`] / [`Wasi::stderr`].
    Capture,
}

/// What a [`Wasi`] gives the module it starts: Node's `new WASI(options)`. Nothing is
/// granted unless named here; the grants baked into an executable at compile time
/// ([`crate::RunConfig`]) do not apply, the module's limits (memory, tables, open files)
/// do.
#[derive(Debug, Default)]
pub struct WasiOptions {
    /// What the guest sees as its command line, `argv[0]` first (Node: `args`).
    pub args: Vec<String>,
    /// The guest's environment, `(name, value)` (Node: `env`).
    pub env: Vec<(String, String)>,
    /// Directories the guest may reach: `(path in the sandbox, host directory)`, as Node's
    /// `preopens: { '/sandbox': '/real/path' }`; preopened as fds 3, 4, ... in this order.
    pub preopens: Vec<(String, PathBuf)>,
    /// What `proc_exit(code)` does: with `true`, [`Wasi::start`] returns `Ok(code)`; with
    /// `false` (Node's default), it ends this process with `code`, as a Kiln executable
    /// would.
    pub return_on_exit: bool,
    /// The guest's fd 0.
    pub stdin: Input,
    /// The guest's fd 1.
    pub stdout: Output,
    /// The guest's fd 2.
    pub stderr: Output,
}

/// A WASI sandbox that starts one command once: Node's `WASI` class.
pub struct Wasi {
    /// Taken by the first [`Wasi::start`].
    ctx: Option<WasiCtx>,
    return_on_exit: bool,
    stdout: Option<File>,
    stderr: Option<File>,
}

impl fmt::Debug for Wasi {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Wasi")
            .field("started", &self.ctx.is_none())
            .field("return_on_exit", &self.return_on_exit)
            .finish_non_exhaustive()
    }
}

/// Why [`Wasi::start`] did not run the command to its end.
#[derive(Debug)]
pub enum StartError {
    /// This `Wasi` has started a module already (Node throws `ERR_WASI_ALREADY_STARTED`).
    AlreadyStarted,
    /// The module is not a command: it exports no `_start` or no `memory`, or it is a
    /// reactor (exports `_initialize`).
    NotACommand(String),
    /// Instantiation failed: an import Kiln does not provide, a limit, a trap in a data
    /// segment.
    Instantiate(InstantiateError),
    /// The command trapped (or threw a wasm exception nothing caught); `message` is the
    /// report a Kiln executable prints, with the wasm backtrace. `trap` is `None` for an
    /// exception.
    Trap {
        /// Which trap.
        trap: Option<Trap>,
        /// `wasm trap: ...` and the backtrace.
        message: String,
    },
}

impl fmt::Display for StartError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StartError::AlreadyStarted => f.write_str("the WASI instance has already started"),
            StartError::NotACommand(m) | StartError::Trap { message: m, .. } => f.write_str(m),
            StartError::Instantiate(e) => write!(f, "cannot instantiate the module: {e}"),
        }
    }
}

impl std::error::Error for StartError {}

impl Wasi {
    /// Builds the sandbox: opens the preopened directories and the stdio files now, so a
    /// missing directory is an error here rather than in the guest.
    pub fn new(options: WasiOptions) -> Result<Wasi, Error> {
        let mut ctx = WasiCtx::new();
        for a in options.args {
            ctx.arg(a);
        }
        for (k, v) in &options.env {
            ctx.env(k, v);
        }
        for (guest, host) in &options.preopens {
            let host = host.to_str().ok_or_else(|| {
                Error(format!("preopen {guest}: host path {host:?} is not UTF-8"))
            })?;
            ctx.preopen_dir(host, guest).map_err(Error)?;
        }
        match options.stdin {
            Input::Inherit => {}
            Input::File(f) => set_stdio(&mut ctx, 0, f)?,
            Input::Bytes(bytes) => {
                let mut f = memfd("kiln-stdin")?;
                f.write_all(&bytes)
                    .and_then(|()| f.rewind())
                    .map_err(|e| Error(format!("stdin buffer: {e}")))?;
                set_stdio(&mut ctx, 0, f)?;
            }
        }
        let stdout = output(&mut ctx, 1, options.stdout)?;
        let stderr = output(&mut ctx, 2, options.stderr)?;
        Ok(Wasi {
            ctx: Some(ctx),
            return_on_exit: options.return_on_exit,
            stdout,
            stderr,
        })
    }

    /// Instantiates `module` in this sandbox and runs its `_start`: Node's
    /// `wasi.start(instance)`. Returns the exit status: 0 when `_start` returns,
    /// `code` for `proc_exit(code)` with [`WasiOptions::return_on_exit`] (without it,
    /// `proc_exit` ends this process). A second call is refused
    /// ([`StartError::AlreadyStarted`]), whether or not the first succeeded.
    pub fn start(&mut self, module: &Module) -> Result<i32, StartError> {
        let mut ctx = self.ctx.take().ok_or(StartError::AlreadyStarted)?;
        ctx.max_open_files = module.run_config().limits.max_open_files;
        let info = module.info();
        for (export, why) in [("_start", "no `_start`"), ("memory", "no `memory`")] {
            if info.export(export).is_none() {
                return Err(StartError::NotACommand(format!(
                    "not a WASI command: the module exports {why}"
                )));
            }
        }
        let instance = Instance::new_wasi(module, ctx).map_err(StartError::Instantiate)?;
        match instance.run_start() {
            Ok(()) => Ok(0),
            Err(Unwind::Exit(code)) if self.return_on_exit => Ok(code),
            Err(Unwind::Exit(code)) => std::process::exit(code),
            Err(Unwind::Trap { trap, message }) => Err(StartError::Trap {
                trap: Some(trap),
                message,
            }),
            Err(Unwind::Exception { message, .. }) => Err(StartError::Trap {
                trap: None,
                message,
            }),
            Err(Unwind::Error(m)) => Err(StartError::NotACommand(m)),
        }
    }

    /// What the guest has written to stdout so far, when it is [`Output::Capture`]d.
    pub fn stdout(&self) -> Result<Option<Vec<u8>>, Error> {
        captured(self.stdout.as_ref())
    }

    /// What the guest has written to stderr so far, when it is [`Output::Capture`]d.
    pub fn stderr(&self) -> Result<Option<Vec<u8>>, Error> {
        captured(self.stderr.as_ref())
    }
}

/// Points `fd` of `ctx` at `output`; for a capture, returns the reading end.
fn output(ctx: &mut WasiCtx, fd: u32, output: Output) -> Result<Option<File>, Error> {
    match output {
        Output::Inherit => Ok(None),
        Output::File(f) => set_stdio(ctx, fd, f).map(|()| None),
        Output::Capture => {
            let f = memfd(if fd == 1 {
                "kiln-stdout"
            } else {
                "kiln-stderr"
            })?;
            // The guest's descriptor and ours: it may close its own.
            let guest = f
                .try_clone()
                .map_err(|e| Error(format!("capture of fd {fd}: {e}")))?;
            set_stdio(ctx, fd, guest)?;
            Ok(Some(f))
        }
    }
}

fn set_stdio(ctx: &mut WasiCtx, fd: u32, file: File) -> Result<(), Error> {
    ctx.stdio_file(fd, file).map(drop).map_err(Error)
}

/// An anonymous in-memory file.
fn memfd(name: &str) -> Result<File, Error> {
    let name = std::ffi::CString::new(name).expect("no NUL in the name");
    // SAFETY: `name` is a valid C string; the call touches no other memory.
    let fd = unsafe { libc::memfd_create(name.as_ptr(), libc::MFD_CLOEXEC) };
    if fd < 0 {
        return Err(Error(format!(
            "cannot create an in-memory file: {}",
            std::io::Error::last_os_error()
        )));
    }
    // SAFETY: `fd` was just opened and is owned by nothing else.
    Ok(File::from(unsafe { OwnedFd::from_raw_fd(fd) }))
}

/// Everything in a capture file (positioned reads: the guest's writes are positioned too).
fn captured(file: Option<&File>) -> Result<Option<Vec<u8>>, Error> {
    let Some(mut f) = file else { return Ok(None) };
    let mut out = Vec::new();
    f.seek(SeekFrom::Start(0))
        .and_then(|_| f.read_to_end(&mut out))
        .map_err(|e| Error(format!("cannot read the captured output: {e}")))?;
    Ok(Some(out))
}
