//! Interruption checks (`--timeout`): at every function entry and loop header the code
//! loads `vmctx.interrupt` and traps with `interrupt` when it is non-zero. Together they
//! bound the work between two checks (straight-line code in one function), so a timer that
//! sets the flag stops any guest that keeps running wasm code. A guest blocked in a host
//! call stops when the call returns to wasm.
//!
//! This is wasmtime's epoch interruption with a deadline of one: the flag is the epoch and
//! the runtime's timer bumps it once. Code compiled without `--timeout` has no checks at all
//! ([`super::ModuleCtx::interruptible`]).

use cranelift_codegen::ir::{types, InstBuilder, MemFlagsData};
use kiln_abi::{vmctx, Trap};

use super::FuncCx;

impl FuncCx<'_, '_> {
    /// One interruption check at the current position, when the module is interruptible.
    pub(super) fn interrupt_check(&mut self) {
        if !self.m.interruptible {
            return;
        }
        // An atomic load: another thread sets the flag, and a plain load in a loop that
        // stores nothing would be merged with the one at function entry (Cranelift's
        // redundant-load elimination), leaving the loop unchecked. On x86-64 and AArch64
        // (`ldar`) it is one load instruction.
        let flags = MemFlagsData::trusted();
        let addr = self
            .bcx
            .ins()
            .iadd_imm_s(self.vmctx, i64::from(vmctx::OFFSET_INTERRUPT));
        let flag = self.bcx.ins().atomic_load(types::I64, flags, addr);
        self.trapnz(flag, Trap::Interrupt);
    }
}
