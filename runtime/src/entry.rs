//! The executable's entry point (`exe` feature): `main` runs the object's `kiln_module` as
//! a WASI command and exits with its status.
//!
//! # Grants
//!
//! The guest sees what was granted at compile time (`RunConfig`: argv[0], `--env`,
//! `--inherit-env`, `--dir`) and nothing else. Only when the module was compiled with
//! `--allow-runtime-grants` (`RunConfig::runtime_grants`) may a launcher add grants through
//! environment variables, one grant per variable, so no separator ever needs escaping:
//!
//! - `KILN_DIR`, `KILN_DIR_1`, `KILN_DIR_2`, ... : `HOST` or `HOST::GUEST`, a preopened
//!   directory (as `--dir`); numbering stops at the first missing index.
//! - `KILN_ENV`, `KILN_ENV_1`, `KILN_ENV_2`, ... : `KEY=VALUE` (fixed) or `KEY` (the host's
//!   value, if any), applied after the compile-time environment.
//!
//! Both are parsed by `kiln_abi::grant`, as `--dir` and `--env` are: a grant `kiln compile`
//! refuses (an empty `HOST`, `GUEST` or `KEY`) stops the program with status 1 here.
//!
//! - `KILN_TCPLISTEN`, `KILN_TCPLISTEN_1`, ... : `HOST:PORT` (e.g. `127.0.0.1:8080`); the
//!   runtime binds and listens there and hands the listening socket to the guest as the
//!   next fd after the preopens (in order), as `wasmtime run --tcplisten` did. The guest
//!   uses `sock_accept`, then `sock_recv`/`sock_send`/`sock_shutdown` (or `fd_read`/
//!   `fd_write`/`poll_oneoff`) on the connection.
//!
//! The same executables accept limits that tighten (never loosen) the compile-time ones
//! (`RunConfig::limits`), spelled as the `kiln compile` flags (`kiln_abi::limit`):
//! `KILN_MAX_MEMORY`, `KILN_MAX_TABLE_ELEMENTS`, `KILN_MAX_OPEN_FILES`, `KILN_TIMEOUT` and
//! `KILN_FUEL` (the last two only lower a `--timeout` or `--fuel` given at compile time:
//! code compiled without one has no interruption checks or fuel accounting).
//!
//! These variables are consumed by the runtime and never visible to the guest (they are
//! removed even from an inherited environment), whether or not they are accepted. The
//! program's own argv is passed through untouched.
//!
//! # Self-description
//!
//! `KILN_INFO=1 ./app` prints what the executable was granted and its limits (after any
//! run-time tightening) to stdout and exits 0 without running the program.
//!
//! # Timeout
//!
//! With a timeout, a timer thread started before instantiation (so the start function is
//! covered) sets `vmctx.interrupt` of every instance when it runs out, the main thread's
//! and each wasi-thread's (`crate::interrupt`); the next check in compiled code traps with
//! `wasm trap: interrupt` (status 134, as `wasmtime -W timeout`).
//! A guest blocked in a WASI call (a sleep, a read) is not in compiled code: after a short
//! grace period the timer ends the process with the same message and status, as wasmtime
//! stops a guest whose deadline passed in a host call.
//!
//! # Exit status
//!
//! 0 when `_start` returns, the code given to `proc_exit`, 134 after a trap (as
//! `wasmtime run`), 1 when the module cannot be instantiated. In a program that spawned
//! threads, `_start` returning ends every thread, and so does a trap or `proc_exit` in any
//! of them (`crate::threads::end_process`).

// Unit tests compile this module without `main` (the test harness has its own), which
// leaves the context builders only `main` calls unused there.
#![cfg_attr(
    test,
    allow(
        dead_code,
        reason = "unit tests build entry without `main`, their only caller"
    )
)]

use std::ffi::{c_char, c_int, CStr, OsStr};
use std::os::unix::ffi::OsStrExt;

use kiln_abi::descriptor::ModuleDescriptor;
use kiln_abi::info::{ResourceLimits, RunConfig};
use kiln_abi::{grant, limit};

use crate::embed::{Extern, Func, Instance, InstantiateError, Module};
use crate::wasi::WasiCtx;

extern "C" {
    static kiln_module: ModuleDescriptor;
}

/// Status after a trap, as `wasmtime run`.
pub const TRAP_EXIT_STATUS: c_int = 134;

fn is_grant_var(key: &[u8]) -> bool {
    let grant = |prefix: &[u8]| {
        key == prefix
            || key
                .strip_prefix(prefix)
                .and_then(|r| r.strip_prefix(b"_"))
                .is_some_and(|n| !n.is_empty() && n.iter().all(u8::is_ascii_digit))
    };
    grant(b"KILN_DIR")
        || grant(b"KILN_ENV")
        || grant(b"KILN_TCPLISTEN")
        || LIMIT_VARS.iter().any(|v| key == v.as_bytes())
        || key == INFO_VAR.as_bytes()
}

/// The variables that tighten limits at run time (when run-time grants are allowed).
const LIMIT_VARS: [&str; 5] = [
    "KILN_MAX_MEMORY",
    "KILN_MAX_TABLE_ELEMENTS",
    "KILN_MAX_OPEN_FILES",
    "KILN_TIMEOUT",
    "KILN_FUEL",
];

/// Set to `1`: describe the executable instead of running it.
const INFO_VAR: &str = "KILN_INFO";

/// The limits a launcher asks for through [`LIMIT_VARS`] (each absent one unlimited).
fn runtime_limits() -> Result<ResourceLimits, String> {
    let var = |name: &str| -> Result<Option<u64>, String> {
        match std::env::var_os(name) {
            None => Ok(None),
            Some(v) => {
                let v = v.to_str().ok_or_else(|| format!("{name}: not UTF-8"))?;
                let n = if name == "KILN_TIMEOUT" {
                    limit::parse_duration_ms(v)
                } else {
                    limit::parse_amount(v)
                };
                n.map(Some).map_err(|e| format!("{name}: {e}"))
            }
        }
    };
    let files = var("KILN_MAX_OPEN_FILES")?;
    Ok(ResourceLimits {
        max_memory: var("KILN_MAX_MEMORY")?,
        max_table_elements: var("KILN_MAX_TABLE_ELEMENTS")?,
        max_open_files: files.map(|n| u32::try_from(n).unwrap_or(u32::MAX)),
        timeout_ms: var("KILN_TIMEOUT")?,
        fuel: var("KILN_FUEL")?,
    })
}

/// The limits the program runs with: the compile-time ones, tightened by the launcher's
/// when run-time grants are allowed. A run-time timeout needs compiled-in checks.
fn effective_limits(cfg: &RunConfig) -> Result<ResourceLimits, String> {
    if !cfg.runtime_grants {
        return Ok(cfg.limits);
    }
    let mut asked = runtime_limits()?;
    if cfg.limits.timeout_ms.is_none() {
        asked.timeout_ms = None;
    }
    if cfg.limits.fuel.is_none() {
        asked.fuel = None;
    }
    Ok(cfg.limits.tightened(asked))
}

/// `KILN_<name>`, `KILN_<name>_1`, ... until the first missing one.
fn numbered(name: &str) -> Vec<Vec<u8>> {
    let mut v = Vec::new();
    let mut i = 0;
    loop {
        let key = if i == 0 {
            name.to_string()
        } else {
            format!("{name}_{i}")
        };
        match std::env::var_os(&key) {
            Some(val) => v.push(val.as_bytes().to_vec()),
            None => return v,
        }
        i += 1;
    }
}

fn set_env(env: &mut Vec<Vec<u8>>, key: &[u8], value: &[u8]) {
    let mut kv = key.to_vec();
    kv.push(b'=');
    kv.extend_from_slice(value);
    match env
        .iter_mut()
        .find(|e| e.split(|&b| b == b'=').next() == Some(key))
    {
        Some(e) => *e = kv,
        None => env.push(kv),
    }
}

fn apply_env_grant(env: &mut Vec<Vec<u8>>, key: &[u8], value: Option<&[u8]>) {
    match value {
        Some(v) => set_env(env, key, v),
        None => {
            if let Some(v) = std::env::var_os(OsStr::from_bytes(key)) {
                set_env(env, key, v.as_bytes());
            }
        }
    }
}

/// # Safety
/// `argv` holds `argc` valid C strings (the C runtime's arguments).
unsafe fn build_ctx(
    module: &Module,
    limits: &ResourceLimits,
    argc: c_int,
    argv: *const *const c_char,
) -> Result<WasiCtx, String> {
    let cfg = module.run_config();
    let mut cx = WasiCtx::new();
    cx.max_open_files = limits.max_open_files;
    for i in 0..usize::try_from(argc).unwrap_or(0) {
        // SAFETY: the caller's contract: `argv[i]`, `i < argc`, is a valid C string.
        let a = unsafe { CStr::from_ptr(*argv.add(i)) }.to_bytes();
        match (&cfg.argv0, i) {
            (Some(a0), 0) => cx.args.push(a0.as_bytes().to_vec()),
            _ => cx.args.push(a.to_vec()),
        }
    }
    if cx.args.is_empty() {
        if let Some(a0) = &cfg.argv0 {
            cx.args.push(a0.as_bytes().to_vec());
        }
    }
    if cfg.inherit_env {
        for (k, v) in std::env::vars_os() {
            if !is_grant_var(k.as_bytes()) {
                set_env(&mut cx.env, k.as_bytes(), v.as_bytes());
            }
        }
    }
    for (k, v) in &cfg.env {
        apply_env_grant(&mut cx.env, k.as_bytes(), v.as_ref().map(|v| v.as_bytes()));
    }
    for (host, guest) in &cfg.dirs {
        cx.preopen_dir(host, guest)?;
    }
    if cfg.runtime_grants {
        for spec in numbered("KILN_ENV") {
            let (key, value) = grant::parse_env(&spec[..]).map_err(|e| format!("KILN_ENV: {e}"))?;
            apply_env_grant(&mut cx.env, key, value);
        }
        for spec in numbered("KILN_DIR") {
            let (host, guest) =
                grant::parse_dir(&spec[..]).map_err(|e| format!("KILN_DIR: {e}"))?;
            let host = String::from_utf8_lossy(host);
            let guest = String::from_utf8_lossy(guest);
            cx.preopen_dir(&host, &guest)?;
        }
        for addr in numbered("KILN_TCPLISTEN") {
            let fd = crate::wasi::sock::listen(&String::from_utf8_lossy(&addr))?;
            cx.listener(fd);
        }
    }
    Ok(cx)
}

/// Instantiates the command with its WASI imports. A function import that is not WASI was
/// admitted by the compiler only with `--unknown-imports=trap`: it is bound to a stub that
/// traps when called (through a table; compiled code traps at direct calls itself).
fn instantiate(
    module: &Module,
    cx: WasiCtx,
    limits: &ResourceLimits,
) -> Result<Instance, InstantiateError> {
    use kiln_abi::info::{ImportKind, ModuleInfo};
    let info = module.info();
    let provided = |module: &str, name: &str| crate::wasi::function_for(module, name).is_some();
    let unknown = |i: &kiln_abi::info::Import| {
        matches!(i.kind, ImportKind::Func(_)) && !provided(&i.module, &i.name)
    };
    if !info.imports.iter().any(unknown) {
        let imports: Vec<Extern> = crate::wasi::imports_for(info, limits.max_memory)?
            .into_iter()
            .map(Extern::from_vm)
            .collect();
        return Instance::new_wasi_limited(module, &imports, cx, limits);
    }
    let mut imports = Vec::with_capacity(info.imports.len());
    let mut memory_imports = 0;
    for import in &info.imports {
        match import.kind {
            ImportKind::Func(t) if unknown(import) => {
                let ty = info.types[t as usize].clone();
                let stub = crate::traps::unknown_import as *const () as *const u8;
                imports.push(Extern::Func(Func::host(ty, stub)));
            }
            _ => {
                let first_memory = matches!(import.kind, ImportKind::Memory(_)) && {
                    memory_imports += 1;
                    memory_imports == 1
                };
                let one = ModuleInfo {
                    types: info.types.clone(),
                    imports: vec![import.clone()],
                    // Memory 0, when imported, is made where the code expects it.
                    memory0_base: info.memory0_base.filter(|_| first_memory),
                    ..ModuleInfo::default()
                };
                imports.extend(
                    crate::wasi::imports_for(&one, limits.max_memory)?
                        .into_iter()
                        .map(Extern::from_vm),
                );
            }
        }
    }
    Instance::new_wasi_limited(module, &imports, cx, limits)
}

/// What `KILN_INFO=1` prints: the grants and limits the executable runs with.
fn describe(cfg: &RunConfig, limits: &ResourceLimits) -> String {
    use std::fmt::Write;
    let mut s = String::from("Kiln executable (a WASI preview1 command)\n");
    let none = |v: Option<u64>, unit: &str| match v {
        Some(n) => format!("{n}{unit}"),
        None => "none".to_string(),
    };
    let _ = writeln!(
        s,
        "argv[0]: {}",
        cfg.argv0
            .as_deref()
            .unwrap_or("(the path it is started with)")
    );
    let _ = writeln!(
        s,
        "host environment inherited: {}",
        if cfg.inherit_env { "yes" } else { "no" }
    );
    for (k, v) in &cfg.env {
        match v {
            Some(v) => _ = writeln!(s, "env: {k}={v}"),
            None => _ = writeln!(s, "env: {k} (the host's value)"),
        }
    }
    for (host, guest) in &cfg.dirs {
        let _ = writeln!(s, "dir: {host} as {guest}");
    }
    let _ = writeln!(
        s,
        "run-time grants: {}",
        if cfg.runtime_grants {
            "allowed (KILN_DIR, KILN_ENV, KILN_TCPLISTEN; KILN_MAX_MEMORY, \
             KILN_MAX_TABLE_ELEMENTS, KILN_MAX_OPEN_FILES, KILN_TIMEOUT, KILN_FUEL tighten \
             limits)"
        } else {
            "refused (compiled without --allow-runtime-grants)"
        }
    );
    let _ = writeln!(s, "max memory: {}", none(limits.max_memory, " bytes"));
    let _ = writeln!(
        s,
        "max table elements: {}",
        none(limits.max_table_elements, "")
    );
    let _ = writeln!(
        s,
        "max open files: {}",
        none(limits.max_open_files.map(u64::from), "")
    );
    let _ = writeln!(s, "timeout: {}", none(limits.timeout_ms, " ms"));
    let _ = writeln!(s, "fuel: {}", none(limits.fuel, ""));
    let _ = writeln!(
        s,
        "max wasm stack: {}",
        match cfg.max_wasm_stack {
            0 => "the runtime's default".to_string(),
            n => format!("{n} bytes"),
        }
    );
    let _ = writeln!(s, "CPU features: {}", cfg.cpu_features.join(", "));
    s
}

/// After a timeout, how long a guest outside compiled code (in a WASI call) has to return
/// to a check before the process is ended from the timer thread.
const TIMEOUT_GRACE: std::time::Duration = std::time::Duration::from_millis(100);

/// The `--timeout` timer, armed before instantiation (the start function runs inside it):
/// when the time runs out it interrupts every instance of the process (the main one and
/// each wasi-thread's, `crate::interrupt`), then ends the process if the program has not
/// stopped within [`TIMEOUT_GRACE`] (it is blocked outside compiled code).
/// [`Timer::cancel`] (when `_start` has returned) keeps it from doing either.
struct Timer {
    cancelled: std::sync::Arc<std::sync::atomic::AtomicBool>,
}

impl Timer {
    fn start(ms: u64) -> Timer {
        use std::sync::atomic::{AtomicBool, Ordering};
        let cancelled = std::sync::Arc::new(AtomicBool::new(false));
        let seen = cancelled.clone();
        std::thread::spawn(move || {
            std::thread::sleep(std::time::Duration::from_millis(ms));
            if seen.load(Ordering::Acquire) {
                return;
            }
            crate::interrupt::interrupt_all();
            std::thread::sleep(TIMEOUT_GRACE);
            if !seen.load(Ordering::Acquire) {
                // Through `end_process`: a thread's own `interrupt` report may be on its
                // way, and only one report is printed.
                crate::threads::end_process(
                    TRAP_EXIT_STATUS,
                    "wasm trap: interrupt (the --timeout ran out during a WASI call)\n",
                );
            }
        });
        Timer { cancelled }
    }

    fn cancel(&self) {
        self.cancelled
            .store(true, std::sync::atomic::Ordering::Release);
    }
}

/// Opens `/dev/null` on whichever of fds 0-2 the process was started without (as Rust's
/// own runtime does). The guest then sees an empty stdin and a stdout that swallows
/// writes, as under wasmtime, and no file the runtime opens can land on fd 1 and receive
/// the program's output.
fn sanitize_stdio() {
    // One poll(2) asks about all three (as Rust's own runtime does): a closed fd comes back
    // POLLNVAL. Where poll cannot say (an error), ask each with F_GETFD.
    let mut fds = [0, 1, 2].map(|fd| libc::pollfd {
        fd,
        events: 0,
        revents: 0,
    });
    // SAFETY: three valid pollfd entries; a zero timeout never blocks.
    let polled = unsafe { libc::poll(fds.as_mut_ptr(), 3, 0) } >= 0;
    for p in fds {
        let closed = if polled {
            p.revents & libc::POLLNVAL != 0
        } else {
            // SAFETY: F_GETFD only queries the descriptor.
            (unsafe { libc::fcntl(p.fd, libc::F_GETFD) } == -1)
                && std::io::Error::last_os_error().raw_os_error() == Some(libc::EBADF)
        };
        if closed {
            // SAFETY: a NUL-terminated path; open returns the lowest free fd, i.e. `p.fd`.
            unsafe { libc::open(c"/dev/null".as_ptr(), libc::O_RDWR) };
        }
    }
}

/// The process entry of a Kiln executable.
///
/// # Safety
/// Called by the C runtime with the process's arguments.
#[cfg(not(test))]
#[no_mangle]
pub unsafe extern "C" fn main(argc: c_int, argv: *const *const c_char) -> c_int {
    use crate::embed::Unwind;
    // As wasmtime (and every Rust program): a write to a closed pipe is EPIPE, not death.
    // SAFETY: setting a signal disposition.
    unsafe { libc::signal(libc::SIGPIPE, libc::SIG_IGN) };
    sanitize_stdio();
    // SAFETY: the linked object defines the descriptor; it lives as long as the process.
    let module = match unsafe { Module::from_descriptor(&raw const kiln_module) } {
        Ok(m) => m,
        Err(e) => {
            eprintln!("kiln: {e}");
            return 1;
        }
    };
    let limits = match effective_limits(module.run_config()) {
        Ok(l) => l,
        Err(e) => {
            eprintln!("kiln: {e}");
            return 1;
        }
    };
    if std::env::var_os(INFO_VAR).is_some_and(|v| v == "1") {
        print!("{}", describe(module.run_config(), &limits));
        return 0;
    }
    // SAFETY: the C runtime's arguments.
    let cx = match unsafe { build_ctx(&module, &limits, argc, argv) } {
        Ok(cx) => cx,
        Err(e) => {
            eprintln!("kiln: {e}");
            return 1;
        }
    };
    crate::memory::allow_taking_the_memory_image();
    let timer = limits.timeout_ms.map(Timer::start);
    let instance = match instantiate(&module, cx, &limits) {
        Ok(i) => i,
        Err(e @ (InstantiateError::Trap(_) | InstantiateError::Exception)) => {
            eprintln!("{e}");
            return TRAP_EXIT_STATUS;
        }
        Err(e) => {
            eprintln!("kiln: cannot instantiate the module: {e}");
            return 1;
        }
    };
    let outcome = instance.run_start();
    if let Some(t) = &timer {
        t.cancel();
    }
    let (status, report) = match outcome {
        Ok(()) => (0, String::new()),
        Err(Unwind::Exit(code)) => (code, String::new()),
        Err(Unwind::Trap { message, .. }) | Err(Unwind::Exception { message, .. }) => {
            (TRAP_EXIT_STATUS, message)
        }
        Err(Unwind::Error(e)) => (1, format!("kiln: {e}\n")),
    };
    if crate::threads::any_spawned() {
        // `_start` ended: the program ends with it, whatever other threads still run
        // (as under `wasmtime run`), unless one of them is ending it already.
        crate::threads::end_process(status, &report);
    }
    eprint!("{report}");
    status
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grant_variables() {
        assert!(is_grant_var(b"KILN_DIR"));
        assert!(is_grant_var(b"KILN_DIR_12"));
        assert!(is_grant_var(b"KILN_ENV_1"));
        assert!(!is_grant_var(b"KILN_DIRX"));
        assert!(!is_grant_var(b"KILN_DIR_"));
        assert!(!is_grant_var(b"PATH"));
        assert!(is_grant_var(b"KILN_TCPLISTEN"));
        assert!(is_grant_var(b"KILN_TCPLISTEN_1"));
        let mut env = vec![b"A=1".to_vec()];
        set_env(&mut env, b"A", b"2");
        set_env(&mut env, b"B", b"3");
        assert_eq!(env, vec![b"A=2".to_vec(), b"B=3".to_vec()]);
    }
}
