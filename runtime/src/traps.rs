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

use crate::module::{lookup_pc, ModuleInner};

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
    /// 1 = trap, 2 = exit, 3 = uncaught exception.
    kind: u8,
    trap: u8,
    exit_code: i32,
    n: usize,
    /// The faulting data address of a SIGSEGV/SIGBUS trap (`si_addr`), else 0; the
    /// exception object of an uncaught exception.
    fault_addr: usize,
    /// frames[0] is the trapping PC, the others return addresses.
    frames: [usize; MAX_FRAMES],
}

thread_local! {
    static RECORD: UnsafeCell<Record> = const {
        UnsafeCell::new(Record {
            kind: 0,
            trap: 0,
            exit_code: 0,
            n: 0,
            fault_addr: 0,
            frames: [0; MAX_FRAMES],
        })
    };
    /// The out-of-bounds access of this thread's last memory trap: (wasm address, memory
    /// length). Set by [`call`] for every trap it catches, read by [`report`].
    static LAST_FAULT: Cell<Option<(u64, u64)>> = const { Cell::new(None) };
}

/// Why a call into wasm did not return normally.
#[derive(Debug)]
pub enum Caught {
    Trap {
        trap: Trap,
        frames: Vec<usize>,
    },
    Exit(i32),
    /// A wasm exception nothing caught: its `exnref` and where it was thrown.
    Exception {
        exn: usize,
        frames: Vec<usize>,
    },
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
    // A trap left its signal handler by a jump that restored no signal mask (saving it
    // would cost a system call on every call into wasm): unblock the trap signals.
    unblock_trap_signals();
    let r = RECORD.with(|r| {
        // SAFETY: written by this thread only (handler or `exit`), before the jump.
        unsafe { *r.get() }
    });
    if r.kind == 2 {
        return Err(Caught::Exit(r.exit_code));
    }
    if r.kind == 3 {
        return Err(Caught::Exception {
            exn: r.fault_addr,
            frames: r.frames[..r.n].to_vec(),
        });
    }
    let trap = Trap::from_u8(r.trap).unwrap_or(Trap::Unreachable);
    let fault = if trap == Trap::MemoryOutOfBounds && r.fault_addr != 0 {
        // SAFETY: `vmctx` is live (the caller's contract) and so is its memory.
        unsafe { memory_fault(vmctx, r.fault_addr) }
    } else {
        None
    };
    LAST_FAULT.with(|f| f.set(fault));
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

pub use crate::arch::unknown_import;

/// Where [`unknown_import`] (the code bound to an import Kiln does not provide,
/// in an executable compiled with `--unknown-imports=trap`) lands: raises
/// [`Trap::UnknownImport`] with the wasm caller's backtrace. `ret` is the return address
/// into the wasm caller, `fp` its frame pointer.
pub(crate) extern "C" fn unknown_import_raise(ret: usize, fp: usize) -> ! {
    // SAFETY: a thread-local flag in the C helper.
    if unsafe { kiln_in_catch() } == 0 {
        eprintln!("wasm trap: {}", Trap::UnknownImport.message());
        std::process::abort();
    }
    RECORD.with(|r| {
        // SAFETY: this thread's record; `fp` is the wasm caller's frame pointer. Frame 0 is
        // the call instruction (inside it, so that the report finds its wasm offset).
        unsafe { record_trap(&mut *r.get(), Trap::UnknownImport, ret - 1, fp, 0) }
    });
    // SAFETY: inside a kiln_catch on this thread (checked above).
    unsafe { kiln_unwind() }
}

/// Ends the current wasm call with the uncaught exception `exn`, thrown by the call that
/// returns to `ret` in the wasm function whose frame pointer is `fp`.
///
/// # Safety
/// `fp` is the frame pointer of the wasm function containing `ret`; the frames skipped are
/// compiled wasm and the unwinder's, which hold nothing with a destructor.
pub(crate) unsafe fn uncaught_exception(exn: usize, ret: usize, fp: usize) -> ! {
    // SAFETY: a thread-local flag in the C helper.
    if unsafe { kiln_in_catch() } == 0 {
        eprintln!("wasm trap: {UNCAUGHT_EXCEPTION}");
        std::process::abort();
    }
    RECORD.with(|r| {
        // SAFETY: this thread's record; `fp` is a wasm frame pointer (the caller's
        // contract). Frame 0 is the throwing call (inside it, as for an unknown import).
        unsafe {
            let r = &mut *r.get();
            record_trap(r, Trap::Unreachable, ret - 1, fp, exn);
            r.kind = 3;
        }
    });
    // SAFETY: inside a kiln_catch on this thread (checked above).
    unsafe { kiln_unwind() }
}

/// How an uncaught exception is reported, in wasmtime's words.
pub const UNCAUGHT_EXCEPTION: &str = "thrown Wasm exception";

/// The wasm address and memory length of a fault at host address `addr`, when `addr` lies
/// in the reservation of one of the memories of `vmctx`'s instance.
///
/// # Safety
/// `vmctx` is null or a live context.
unsafe fn memory_fault(vmctx: *mut VmCtx, addr: usize) -> Option<(u64, u64)> {
    // SAFETY: the caller's contract; `host` is null until the instance is set up.
    if vmctx.is_null() || unsafe { (*vmctx).host.is_null() } {
        return None;
    }
    // SAFETY: a live context's `host` is its instance, alive as long as the context.
    let inst = unsafe { crate::instance::from_vmctx(vmctx) };
    inst.memories
        .iter()
        .find_map(|m| Some((m.offset_of(addr)?, m.byte_len())))
}

/// Formats a trap the way `wasmtime run` does: `wasm trap: <message>`, then (for an
/// out-of-bounds access) where it was, then `wasm backtrace:` and one line per wasm frame:
/// `<index>: <wasm offset> - <module>!<function>` (names as the compiler stored them: Rust and
/// C++ names demangled), and, where
/// the module carries DWARF line information, `at <file>:<line>:<column>` below.
///
/// This runs in ordinary context, after [`call`] has jumped back out of the signal handler
/// (the handler only records PCs), so it may allocate and demangle freely.
pub fn report(trap: Trap, frames: &[usize]) -> String {
    let mut s = format!("wasm trap: {}\n", trap.message());
    if trap == Trap::MemoryOutOfBounds {
        if let Some((addr, len)) = LAST_FAULT.with(Cell::get) {
            let _ = writeln!(
                s,
                "memory fault at wasm address {addr:#x} in linear memory of size {len:#x}"
            );
        }
    }
    write_backtrace(&mut s, frames);
    s
}

/// Formats an uncaught exception as a trap: `wasm trap: thrown Wasm exception` (the words
/// `wasmtime run` uses), then the backtrace from the throw.
pub fn exception_report(frames: &[usize]) -> String {
    let mut s = format!("wasm trap: {UNCAUGHT_EXCEPTION}\n");
    write_backtrace(&mut s, frames);
    s
}

/// `wasm backtrace:` and one line per wasm frame (see [`report`]). A call that a function
/// inlined by the compiler made, or a trap in its code, shows that function's frame too,
/// above its caller's, so the frames are those of the wasm call stack whatever was inlined.
fn write_backtrace(s: &mut String, frames: &[usize]) {
    s.push_str("wasm backtrace:\n");
    let mut n = 0;
    for (i, &pc) in frames.iter().enumerate() {
        // Return addresses point after the call; look up the call itself.
        let lookup = if i == 0 { pc } else { pc - 1 };
        let Some((m, def)) = lookup_pc(lookup) else {
            continue;
        };
        let code_off = u32::try_from(lookup - m.funcs[def as usize].code as usize)
            .expect("inside the function, whose code the descriptor sizes in u32");
        let site = if i == 0 {
            m.trap_site(def, code_off).map(|s| s.wasm_offset)
        } else {
            None
        };
        // At a trap site, an entry at the site itself means it is in an inlined function's
        // code: the site's offset is the inlining call's, the entry's frame the inlined one.
        let entry = m
            .addr_map_entry(def, code_off)
            .filter(|e| site.is_none() || (e.code_offset == code_off && e.inlined.is_some()));
        if let Some(inlined) = entry.and_then(|e| e.inlined) {
            write_frame(s, &mut n, m, inlined.func_index, Some(inlined.wasm_offset));
        }
        let wasm_off = site.or_else(|| entry.map(|e| e.wasm_offset));
        write_frame(s, &mut n, m, m.func_index(def), wasm_off);
    }
}

/// Frame line `n` (then `n` counts it): function `index` of `m` at `wasm_off`; nothing past
/// [`MAX_FRAMES`] lines (inlined frames can make more lines than recorded frames).
fn write_frame(s: &mut String, n: &mut usize, m: &ModuleInner, index: u32, wasm_off: Option<u32>) {
    if *n >= MAX_FRAMES {
        return;
    }
    // Offset 0 is the module header, never an instruction: the compiler's "unknown"
    // (e.g. a stack-limit check in the prologue belongs to no instruction).
    let wasm_off = wasm_off.filter(|&o| o != 0 && o != u32::MAX);
    let module = m.info.name.as_deref().unwrap_or("<unknown>");
    let _ = write!(s, "  {n:>3}: ");
    *n += 1;
    if let Some(off) = wasm_off {
        let _ = write!(s, "{off:#6x} - ");
    }
    match m.names().func_name(index) {
        Some(name) => {
            let _ = writeln!(s, "{module}!{name}");
        }
        None => {
            let _ = writeln!(s, "{module}!<wasm function {index}>");
        }
    }
    if let Some(loc) = wasm_off.and_then(|o| source_location(m, o)) {
        let _ = writeln!(s, "                    at {loc}");
    }
}

/// `file:line:column` of the instruction at module offset `wasm_offset`, from the module's
/// DWARF line table (when it was compiled with `-g`).
fn source_location(m: &ModuleInner, wasm_offset: u32) -> Option<String> {
    let loc = m.names().source_lines.as_ref()?.lookup(wasm_offset)?;
    Some(match (loc.line, loc.column) {
        (0, _) => loc.file.to_string(),
        (line, 0) => format!("{}:{line}", loc.file),
        (line, column) => format!("{}:{line}:{column}", loc.file),
    })
}

const SIGNALS: [c_int; 4] = [libc::SIGSEGV, libc::SIGBUS, libc::SIGILL, libc::SIGFPE];

fn unblock_trap_signals() {
    // SAFETY: a signal set on the stack, filled before use.
    unsafe {
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut set);
        for sig in SIGNALS {
            libc::sigaddset(&mut set, sig);
        }
        libc::pthread_sigmask(libc::SIG_UNBLOCK, &set, ptr::null_mut());
    }
}

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

#[repr(C, align(16))]
struct StaticAltStack([u8; ALTSTACK_SIZE]);
/// The alternate signal stack of the first thread that calls into wasm; only the kernel
/// writes it (when it delivers a signal on it).
static mut STATIC_ALTSTACK: StaticAltStack = StaticAltStack([0; ALTSTACK_SIZE]);
static STATIC_ALTSTACK_TAKEN: std::sync::atomic::AtomicBool =
    std::sync::atomic::AtomicBool::new(false);

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
        // The first thread to call into wasm (the main thread of an executable) takes a
        // static stack, which costs no system call and no page until a signal arrives;
        // the handler's own use of it is small and bounded, so it needs no guard page.
        if !STATIC_ALTSTACK_TAKEN.swap(true, std::sync::atomic::Ordering::Relaxed) {
            let st = libc::stack_t {
                ss_sp: (&raw mut STATIC_ALTSTACK.0).cast(),
                ss_flags: 0,
                ss_size: ALTSTACK_SIZE,
            };
            libc::sigaltstack(&st, ptr::null_mut());
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
    // SAFETY: the kernel hands SA_SIGINFO handlers a valid siginfo and ucontext.
    let fault_addr = match sig {
        libc::SIGSEGV | libc::SIGBUS => unsafe { (*info).si_addr() as usize },
        _ => 0,
    };
    // SAFETY: as above.
    let (pc, fp) = unsafe { crate::arch::signal_pc_fp(ctx) };
    // SAFETY: reads a thread-local in the C helper.
    if unsafe { kiln_in_catch() } != 0 {
        if let Some(trap) = trap_at(pc) {
            RECORD.with(|r| {
                // SAFETY: this thread's record; wasm frames keep frame pointers, and we only
                // follow a frame pointer while the frame it belongs to is wasm code.
                unsafe { record_trap(&mut *r.get(), trap, pc, fp, fault_addr) }
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
unsafe fn record_trap(r: &mut Record, trap: Trap, pc: usize, mut fp: usize, fault_addr: usize) {
    r.kind = 1;
    r.trap = trap as u8;
    r.fault_addr = fault_addr;
    r.frames[0] = pc;
    r.n = 1;
    while r.n < MAX_FRAMES && fp != 0 && fp.is_multiple_of(8) {
        // SAFETY: `fp` is a wasm frame's frame pointer, and wasm frames keep frame records.
        let (next, ret) = unsafe { crate::arch::frame_record(fp) };
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
    let mut buf = [0u8; 256];
    let mut w = StackWriter {
        buf: &mut buf,
        len: 0,
    };
    let _ = write!(w, "kiln: internal error: {name} at pc {pc:#x}");
    if matches!(sig, libc::SIGSEGV | libc::SIGBUS) {
        // SAFETY: the kernel's siginfo for a fault.
        let addr = unsafe { (*info).si_addr() as usize };
        let _ = write!(w, " (address {addr:#x})");
    }
    let _ = writeln!(
        w,
        ", not a wasm trap: a bug in the Kiln runtime or the host, please report it"
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::arch::test_code;
    use kiln_abi::descriptor::{FuncEntry, FuncTableEncoder, ModuleDescriptor, TrapSite, MAGIC};
    use kiln_abi::info::{FuncType, ModuleInfo};

    /// A registered module of one function, [`test_code::TRAP`], whose trap instruction
    /// is a trap site. Returns its address and the trap site's offset.
    fn module_code() -> (usize, u32) {
        let f = test_code::TRAP;
        let site = f.trap_at.expect("TRAP traps");
        let code: &'static mut [u8] = test_code::page()[f.offset..f.offset + 64].to_vec().leak();
        let info = ModuleInfo {
            types: vec![FuncType {
                params: vec![],
                results: vec![],
            }],
            funcs: vec![0],
            ..ModuleInfo::default()
        }
        .encode()
        .leak();
        let mut table = FuncTableEncoder::new();
        let sites = [TrapSite {
            code_offset: site,
            wasm_offset: 0x30,
            trap: Trap::Unreachable as u8,
        }];
        table.push(64, false, &sites, &[], &[], &[]);
        let sites = table.finish().trap_sites.leak();
        let funcs = vec![FuncEntry {
            code: code.as_ptr(),
            trampoline: ptr::null(),
            code_len: 64,
            trap_sites_start: 0,
            trap_sites_len: 1,
            addr_map_start: 0,
            addr_map_len: 0,
            call_sites_start: 0,
            call_sites_len: 0,
            reserved: 0,
        }]
        .leak();
        // SAFETY: zero is a valid value of every field (null pointers, zero lengths).
        let mut desc: ModuleDescriptor = unsafe { std::mem::zeroed() };
        desc.magic = MAGIC;
        desc.info = info.as_ptr();
        desc.info_len = info.len();
        desc.funcs = funcs.as_ptr();
        desc.num_funcs = 1;
        desc.trap_sites = sites.as_ptr();
        desc.trap_sites_len = sites.len();
        let desc: &'static ModuleDescriptor = Box::leak(Box::new(desc));
        // SAFETY: everything above is leaked, so it lives forever.
        unsafe { crate::module::register(desc) }.expect("registers");
        (code.as_ptr() as usize, site)
    }

    #[test]
    fn only_recorded_trap_sites_are_wasm_traps() {
        let (code, site) = module_code();
        let site = site as usize;
        assert_eq!(trap_at(code + site), Some(Trap::Unreachable));
        // Wasm code that is not a trap site: a fault there is a bug, not a trap.
        assert_eq!(trap_at(code), None);
        assert_eq!(trap_at(code + site + 1), None);
        // The runtime's own code, the C helper, and addresses in no module.
        assert_eq!(trap_at(report as *const () as usize), None);
        assert_eq!(trap_at(kiln_catch as *const () as usize), None);
        assert_eq!(trap_at(code + 64), None);
        assert_eq!(trap_at(0), None);
    }
}
