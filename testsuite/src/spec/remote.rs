//! An [`Engine`] in another process: a runner (`kiln-spec-runner`, or that binary for
//! another architecture under an emulator: `qemu-aarch64 -L SYSROOT kiln-spec-runner`)
//! spoken to through [`super::protocol`] on its stdin and stdout. The runner's stderr is
//! this process's.
//!
//! A runner that dies or breaks the protocol ends this process (exit status 1, the reason
//! on stderr): this process is a script's child of the driver, which then counts the
//! directive that was running and every later one as failed, as for a crash in-process.

use std::ffi::OsString;
use std::io::{BufReader, BufWriter};
use std::os::unix::process::CommandExt;
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};

use super::embed::{InstantiateError, Unwind, Val};
use super::engine::{Engine, InstanceId, ModuleId};
use super::protocol::{self, Hello, Request, Response, WireVal};

pub struct Remote {
    child: Child,
    /// `None` once dropped: closing the runner's stdin ends its loop.
    to: Option<BufWriter<ChildStdin>>,
    from: BufReader<ChildStdout>,
    arch: String,
    /// The command, for messages.
    shown: String,
}

impl Remote {
    /// Starts `command` (program and arguments) and reads its greeting.
    pub fn start(command: &[OsString]) -> Result<Remote, String> {
        let (program, args) = command.split_first().ok_or("an empty runner command")?;
        let shown = command
            .iter()
            .map(|w| w.to_string_lossy())
            .collect::<Vec<_>>()
            .join(" ");
        let mut cmd = Command::new(program);
        cmd.args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit());
        // SAFETY: `prctl` is async-signal-safe. The runner dies with this process (the
        // driver kills a script's process that runs past its timeout), even when its code
        // hangs and never sees its stdin close.
        unsafe {
            cmd.pre_exec(|| {
                if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL) != 0 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
        let mut child = cmd
            .spawn()
            .map_err(|e| format!("cannot start the runner `{shown}`: {e}"))?;
        let to = BufWriter::new(child.stdin.take().expect("piped"));
        let mut from = BufReader::new(child.stdout.take().expect("piped"));
        let hello = match protocol::receive::<Hello>(&mut from) {
            Ok(Some(h)) => h,
            Ok(None) => return Err(format!("the runner `{shown}` said nothing")),
            Err(e) => return Err(format!("the runner `{shown}`: {e}")),
        };
        if hello.version != protocol::VERSION {
            return Err(format!(
                "the runner `{shown}` speaks protocol version {}, this harness {}: rebuild it",
                hello.version,
                protocol::VERSION
            ));
        }
        Ok(Remote {
            child,
            to: Some(to),
            from,
            arch: hello.arch,
            shown,
        })
    }

    fn request(&mut self, req: &Request) -> Response {
        let to = self.to.as_mut().expect("open until dropped");
        let got = protocol::send(to, req).and_then(|()| protocol::receive(&mut self.from));
        match got {
            Ok(Some(resp)) => resp,
            Ok(None) => self.lost("closed its output"),
            Err(e) => self.lost(&e.to_string()),
        }
    }

    fn lost(&mut self, what: &str) -> ! {
        use std::os::unix::process::ExitStatusExt;
        let status = match self.child.wait() {
            Ok(s) => match s.signal() {
                Some(sig) => format!("died of signal {sig}"),
                None => format!("exited with {s}"),
            },
            Err(e) => format!("vanished ({e})"),
        };
        eprintln!("kiln-spec: the runner `{}` {what}: {status}", self.shown);
        std::process::exit(1)
    }

    fn unexpected(&mut self, resp: Response) -> ! {
        self.lost(&format!("answered out of turn: {resp:?}"))
    }
}

impl Drop for Remote {
    fn drop(&mut self) {
        drop(self.to.take());
        let _ = self.child.wait();
    }
}

impl Engine for Remote {
    fn arch(&self) -> &str {
        &self.arch
    }

    fn load(&mut self, object: Vec<u8>) -> Result<ModuleId, String> {
        match self.request(&Request::Load(object)) {
            Response::Loaded(r) => r.map(ModuleId),
            other => self.unexpected(other),
        }
    }

    fn instantiate(&mut self, module: ModuleId) -> Result<InstanceId, InstantiateError> {
        match self.request(&Request::Instantiate(module.0)) {
            Response::Instantiated(Ok(i)) => Ok(InstanceId(i)),
            Response::Instantiated(Err(e)) => {
                Err(e.into_error().map_err(InstantiateError::Other)?)
            }
            other => self.unexpected(other),
        }
    }

    fn register(&mut self, name: &str, instance: InstanceId) {
        match self.request(&Request::Register(name.to_string(), instance.0)) {
            Response::Registered => {}
            other => self.unexpected(other),
        }
    }

    fn call(&mut self, instance: InstanceId, name: &str, args: &[Val]) -> Result<Vec<Val>, Unwind> {
        let args = args.iter().map(|&v| WireVal::from(v)).collect();
        match self.request(&Request::Call(instance.0, name.to_string(), args)) {
            Response::Called(Ok(vals)) => Ok(vals.into_iter().map(WireVal::to_val).collect()),
            Response::Called(Err(u)) => Err(u.into_unwind().map_err(Unwind::Error)?),
            other => self.unexpected(other),
        }
    }

    fn global(&mut self, instance: InstanceId, name: &str) -> Result<Val, String> {
        match self.request(&Request::Global(instance.0, name.to_string())) {
            Response::Global(r) => r.map(WireVal::to_val),
            other => self.unexpected(other),
        }
    }
}
