//! Trap handling: signal handlers, the catch point around every call into wasm, and trap
//! reports.
//!
//! SANDBOX-CRITICAL (two reviews please). Every trap arrives as a signal raised by compiled
//! code (SIGILL from a trap instruction, SIGFPE from a division, SIGSEGV/SIGBUS from the
//! linear memory's guard region). The handler turns a signal into a wasm trap only when
//! this thread is inside [`call`] AND the PC is a recorded trap site of a registered
//! module; anything else is a runtime bug: it prints `kiln: internal error: ...` and hands
//! the signal to the previous handler (or the default action). It runs on a per-thread
//! alternate stack, so a fault on an exhausted stack is still handled.

use std::cell::{Cell, UnsafeCell};
use std::ffi::c_int;
use std::fmt::Write as _;
use std::mem::MaybeUninit;
use std::ptr;
use std::sync::Once;

use kiln_abi::vmctx::VmCtx;
use kiln_abi::{Trap, ValRaw};

use crate::module::lookup_pc;

/// An array-call trampoline: `extern "C" fn(vmctx, values)`.
pub type ArrayCall = unsafe extern "C" fn(*mut VmCtx, *mut ValRaw);

extern "C" {
    fn kiln_catch(f: ArrayCall, vmctx: *mut VmCtx, values: *mut ValRaw) -> c_int;
    fn kiln_in_catch() -> c_int;
    fn kiln_unwind() -> !;
}

/// Wasmtime prints at most this many frames; so do we.
pub const MAX_FRAMES: usize = 20;

#[derive(Clone, Copy)]
struct Record {
    /// 1 = trap, 2 = exit.
    kind: u8,
    trap: u8,
    exit_code: i32,
    n: usize,
    /// frames[0] is the trapping PC, the others return addresses.
    frames: [usize; MAX_FRAMES],
}

thread_local! {
    static RECORD: UnsafeCell<Record> = const {
        UnsafeCell::new(Record { kind: 0, trap: 0, exit_code: 0, n: 0, frames: [0; MAX_FRAMES] })
    };
}

/// Why a call into wasm did not return normally.
#[derive(Debug)]
pub enum Caught {
    Trap { trap: Trap, frames: Vec<usize> },
    Exit(i32),
}

/// Calls `f(vmctx, values)`, catching traps and `proc_exit`.
///
/// # Safety
/// `f` is an array-call trampoline for a function of `vmctx`'s instance, and `values` has
/// room for its parameters and results. The stack limit must have been set.
pub unsafe fn call(f: ArrayCall, vmctx: *mut VmCtx, values: *mut ValRaw) -> Result<(), Caught> {
    init_signals();
    init_altstack();
    // SAFETY: the caller's contract; the C helper owns the jump buffer.
    if unsafe { kiln_catch(f, vmctx, values) } == 0 {
        return Ok(());
    }
    let r = RECORD.with(|r| {
        // SAFETY: written by this thread only (handler or `exit`), before the jump.
        unsafe { *r.get() }
    });
    if r.kind == 2 {
        return Err(Caught::Exit(r.exit_code));
    }
    let trap = Trap::from_u8(r.trap).unwrap_or(Trap::Unreachable);
    Err(Caught::Trap {
        trap,
        frames: r.frames[..r.n].to_vec(),
    })
}

/// Ends the current wasm call with `proc_exit(code)`: unwinds to the innermost [`call`],
/// or exits the process if there is none.
///
/// The frames skipped are compiled wasm and the calling WASI shim, which must hold nothing
/// with a destructor at the point it calls this.
pub fn exit(code: i32) -> ! {
    // SAFETY: a plain thread-local flag in the C helper.
    if unsafe { kiln_in_catch() } == 0 {
        std::process::exit(code);
    }
    RECORD.with(|r| {
        // SAFETY: only this thread touches its record.
        unsafe {
            (*r.get()).kind = 2;
            (*r.get()).exit_code = code;
        }
    });
    // SAFETY: inside a kiln_catch on this thread (checked above).
    unsafe { kiln_unwind() }
}

/// Formats a trap the way `wasmtime run` does:
/// `wasm trap: <message>`, then `wasm backtrace:` and one line per wasm frame.
pub fn report(trap: Trap, frames: &[usize]) -> String {
    let mut s = format!("wasm trap: {}\nwasm backtrace:\n", trap.message());
    for (i, &pc) in frames.iter().enumerate() {
        // Return addresses point after the call; look up the call itself.
        let lookup = if i == 0 { pc } else { pc - 1 };
        let Some((m, def)) = lookup_pc(lookup) else {
            continue;
        };
        let code_off = (lookup - m.funcs[def as usize].code as usize) as u32;
        let wasm_off = if i == 0 {
            m.trap_site(def, code_off).map(|s| s.wasm_offset)
        } else {
            m.wasm_offset(def, code_off)
        }
        .filter(|&o| o != u32::MAX);
        let index = m.func_index(def);
        let module = m.info.name.as_deref().unwrap_or("<unknown>");
        let _ = write!(s, "  {i:>3}: ");
        if let Some(off) = wasm_off {
            let _ = write!(s, "{off:#6x} - ");
        }
        match m.info.func_name(index) {
            Some(name) => {
                let _ = writeln!(s, "{module}!{name}");
            }
            None => {
                let _ = writeln!(s, "{module}!<wasm function {index}>");
            }
        }
    }
    s
}

const SIGNALS: [c_int; 4] = [libc::SIGSEGV, libc::SIGBUS, libc::SIGILL, libc::SIGFPE];

struct Previous(UnsafeCell<[MaybeUninit<libc::sigaction>; 4]>);
// SAFETY: written once under `Once`, read-only afterwards.
unsafe impl Sync for Previous {}
static PREVIOUS: Previous = Previous(UnsafeCell::new([MaybeUninit::uninit(); 4]));

/// Installs the handlers once per process.
pub fn init_signals() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        for (i, &sig) in SIGNALS.iter().enumerate() {
            // SAFETY: a plain sigaction installation; PREVIOUS is written before any of our
            // handlers can run for this signal and never again.
            unsafe {
                let mut sa: libc::sigaction = std::mem::zeroed();
                sa.sa_sigaction = handler as *const () as usize;
                sa.sa_flags = libc::SA_SIGINFO | libc::SA_ONSTACK;
                libc::sigemptyset(&mut sa.sa_mask);
                let prev = (*PREVIOUS.0.get())[i].as_mut_ptr();
                if libc::sigaction(sig, &sa, prev) != 0 {
                    panic!("kiln: cannot install the handler for signal {sig}");
                }
            }
        }
    });
}

const ALTSTACK_SIZE: usize = 64 * 1024;

struct AltStack {
    map: Cell<*mut libc::c_void>,
}

impl Drop for AltStack {
    fn drop(&mut self) {
        let map = self.map.get();
        if map.is_null() {
            return;
        }
        // SAFETY: disable our alternate stack if it is still the current one, then free it.
        unsafe {
            let mut cur: libc::stack_t = std::mem::zeroed();
            libc::sigaltstack(ptr::null(), &mut cur);
            if cur.ss_sp == map.cast::<u8>().add(page_size()).cast() {
                let off = libc::stack_t {
                    ss_sp: ptr::null_mut(),
                    ss_flags: libc::SS_DISABLE,
                    ss_size: 0,
                };
                libc::sigaltstack(&off, ptr::null_mut());
            }
            libc::munmap(map, ALTSTACK_SIZE + page_size());
        }
    }
}

thread_local! {
    static ALTSTACK: AltStack = const { AltStack { map: Cell::new(ptr::null_mut()) } };
    static ALTSTACK_DONE: Cell<bool> = const { Cell::new(false) };
}

fn page_size() -> usize {
    // SAFETY: sysconf has no preconditions.
    usize::try_from(unsafe { libc::sysconf(libc::_SC_PAGESIZE) }).unwrap_or(4096)
}

/// Gives this thread an alternate signal stack big enough for our handler (once).
pub fn init_altstack() {
    if ALTSTACK_DONE.with(|d| d.replace(true)) {
        return;
    }
    // SAFETY: querying and installing this thread's alternate stack.
    unsafe {
        let mut cur: libc::stack_t = std::mem::zeroed();
        if libc::sigaltstack(ptr::null(), &mut cur) == 0
            && cur.ss_flags & libc::SS_DISABLE == 0
            && cur.ss_size >= ALTSTACK_SIZE
        {
            return;
        }
        let guard = page_size();
        let map = libc::mmap(
            ptr::null_mut(),
            ALTSTACK_SIZE + guard,
            libc::PROT_READ | libc::PROT_WRITE,
            libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
            -1,
            0,
        );
        if map == libc::MAP_FAILED {
            return;
        }
        libc::mprotect(map, guard, libc::PROT_NONE);
        let st = libc::stack_t {
            ss_sp: map.cast::<u8>().add(guard).cast(),
            ss_flags: 0,
            ss_size: ALTSTACK_SIZE,
        };
        if libc::sigaltstack(&st, ptr::null_mut()) != 0 {
            libc::munmap(map, ALTSTACK_SIZE + guard);
            return;
        }
        ALTSTACK.with(|a| a.map.set(map));
    }
}

unsafe extern "C" fn handler(sig: c_int, info: *mut libc::siginfo_t, ctx: *mut libc::c_void) {
    // SAFETY: the kernel hands SA_SIGINFO handlers a valid ucontext.
    let (pc, fp) = unsafe {
        let uc = &*(ctx as *const libc::ucontext_t);
        (
            uc.uc_mcontext.gregs[libc::REG_RIP as usize] as usize,
            uc.uc_mcontext.gregs[libc::REG_RBP as usize] as usize,
        )
    };
    // SAFETY: reads a thread-local in the C helper.
    if unsafe { kiln_in_catch() } != 0 {
        if let Some(trap) = trap_at(pc) {
            RECORD.with(|r| {
                // SAFETY: this thread's record; wasm frames keep frame pointers, and we only
                // follow a frame pointer while the frame it belongs to is wasm code.
                unsafe { record_trap(&mut *r.get(), trap, pc, fp) }
            });
            // SAFETY: inside a kiln_catch on this thread; siglongjmp restores the mask.
            unsafe { kiln_unwind() }
        }
    }
    // SAFETY: forwarding a signal we do not own.
    unsafe { not_ours(sig, info, ctx, pc) }
}

fn trap_at(pc: usize) -> Option<Trap> {
    let (m, def) = lookup_pc(pc)?;
    let off = u32::try_from(pc - m.funcs[def as usize].code as usize).ok()?;
    Trap::from_u8(m.trap_site(def, off)?.trap)
}

/// # Safety
/// `fp` is the frame pointer of the wasm function containing `pc`.
unsafe fn record_trap(r: &mut Record, trap: Trap, pc: usize, mut fp: usize) {
    r.kind = 1;
    r.trap = trap as u8;
    r.frames[0] = pc;
    r.n = 1;
    while r.n < MAX_FRAMES && fp != 0 && fp.is_multiple_of(8) {
        // SAFETY: `fp` is a wasm frame's frame pointer: [fp] = caller fp, [fp+8] = return.
        let (next, ret) = unsafe { (*(fp as *const usize), *(fp as *const usize).add(1)) };
        if lookup_pc(ret.wrapping_sub(1)).is_none() {
            break;
        }
        r.frames[r.n] = ret;
        r.n += 1;
        fp = next;
    }
}

/// A signal that is not a wasm trap: report it and let the previous handler (or the
/// default action) deal with it.
unsafe fn not_ours(sig: c_int, info: *mut libc::siginfo_t, ctx: *mut libc::c_void, pc: usize) {
    let name = match sig {
        libc::SIGSEGV => "SIGSEGV",
        libc::SIGBUS => "SIGBUS",
        libc::SIGILL => "SIGILL",
        _ => "SIGFPE",
    };
    let mut buf = [0u8; 128];
    let mut w = StackWriter {
        buf: &mut buf,
        len: 0,
    };
    let _ = writeln!(
        w,
        "kiln: internal error: {name} at {pc:#x} outside wasm code"
    );
    let len = w.len;
    // SAFETY: write(2) is async-signal-safe.
    unsafe { libc::write(2, buf.as_ptr().cast(), len) };
    let i = SIGNALS.iter().position(|&s| s == sig).unwrap_or(0);
    // SAFETY: PREVIOUS[i] was filled when our handler was installed.
    let prev = unsafe { (*PREVIOUS.0.get())[i].assume_init() };
    let h = prev.sa_sigaction;
    if h != libc::SIG_DFL && h != libc::SIG_IGN {
        if prev.sa_flags & libc::SA_SIGINFO != 0 {
            // SAFETY: calling the previous SA_SIGINFO handler with our arguments.
            let f: unsafe extern "C" fn(c_int, *mut libc::siginfo_t, *mut libc::c_void) =
                unsafe { std::mem::transmute(h) };
            unsafe { f(sig, info, ctx) };
        } else {
            // SAFETY: calling the previous plain handler.
            let f: unsafe extern "C" fn(c_int) = unsafe { std::mem::transmute(h) };
            unsafe { f(sig) };
        }
        return;
    }
    // SAFETY: restore the default action; returning re-executes the faulting instruction
    // (or we re-raise a signal sent by another process) and the process dies of it.
    unsafe {
        libc::signal(sig, libc::SIG_DFL);
        if (*info).si_code <= 0 {
            libc::raise(sig);
        }
    }
}

struct StackWriter<'a> {
    buf: &'a mut [u8],
    len: usize,
}

impl std::fmt::Write for StackWriter<'_> {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        let n = s.len().min(self.buf.len() - self.len);
        self.buf[self.len..self.len + n].copy_from_slice(&s.as_bytes()[..n]);
        self.len += n;
        Ok(())
    }
}
