//! Structured control flow, locals, parametric operators and calls. (The blocks of
//! exception handling, `try_table` and the legacy `try`, are frames here too; their
//! operators are translated in `exceptions.rs`.)

use cranelift_codegen::ir::{self, condcodes::IntCC, types, Block, BlockArg, InstBuilder, Value};
use cranelift_frontend::Switch;
use kiln_abi::info::ValType;
use kiln_abi::{vmctx, Trap};
use wasmparser::{BlockType, Operator};

use super::exceptions::Callee;
use super::{clif_type, FuncCx};
use crate::CompileError;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum FrameKind {
    Block,
    Loop {
        header: Block,
    },
    If {
        else_block: Block,
        head_reachable: bool,
        has_else: bool,
        then_reachable: bool,
    },
    /// A `try_table`: its handlers cover the calls of its body.
    TryTable,
    /// A legacy `try`: its handlers cover the calls of its body (`in_body`), unless it
    /// delegates them (`delegate`: the label of its `delegate`).
    Try {
        delegate: Option<u32>,
        in_body: bool,
        /// In a `catch`/`catch_all` body: the exception it caught (for `rethrow`).
        caught: Option<Value>,
        /// The clause the next `catch`/`catch_all` starts.
        next_clause: usize,
    },
}

/// One catch clause of a `try_table` or legacy `try`.
#[derive(Clone, Copy, Debug)]
pub(crate) struct CatchHandler {
    /// The tag index it catches; `None` catches everything.
    pub tag: Option<u32>,
    /// Its landing block, whose one parameter is the `exnref`.
    pub block: Block,
    /// Whether some call lists it (a legacy clause nobody can reach is dead code).
    pub used: bool,
}

/// One open wasm block.
pub(crate) struct Frame {
    pub(super) kind: FrameKind,
    /// Where control continues after `end`; its parameters are the block's results.
    pub(super) dest: Block,
    num_params: usize,
    pub(super) num_results: usize,
    /// Operand stack height below the block's parameters.
    pub(super) base: usize,
    /// Whether some branch targets `dest`.
    pub(super) branched_to: bool,
    /// The catch clauses of a `try_table` or legacy `try`, in order.
    pub(super) handlers: Vec<CatchHandler>,
}

impl Frame {
    pub(super) fn new(
        kind: FrameKind,
        dest: Block,
        num_params: usize,
        num_results: usize,
        base: usize,
    ) -> Frame {
        Frame {
            kind,
            dest,
            num_params,
            num_results,
            base,
            branched_to: false,
            handlers: Vec::new(),
        }
    }

    pub(crate) fn function_body(exit: Block, num_results: usize) -> Frame {
        Frame::new(FrameKind::Block, exit, 0, num_results, 0)
    }

    /// The block a branch to this frame jumps to, and how many values it carries.
    fn branch_target(&self) -> (Block, usize) {
        match self.kind {
            FrameKind::Loop { header } => (header, self.num_params),
            _ => (self.dest, self.num_results),
        }
    }
}

fn args(values: &[Value]) -> Vec<BlockArg> {
    values.iter().map(|v| BlockArg::Value(*v)).collect()
}

impl FuncCx<'_, '_> {
    /// `(params, results)` of a block type.
    pub(super) fn block_sig(&self, bt: BlockType) -> (Vec<ValType>, Vec<ValType>) {
        match bt {
            BlockType::Empty => (vec![], vec![]),
            BlockType::Type(t) => (vec![], vec![crate::environ::val_type(t)]),
            BlockType::FuncType(i) => {
                let ft = &self.m.info.types[i as usize];
                (ft.params.clone(), ft.results.clone())
            }
        }
    }

    pub(super) fn new_block_with(&mut self, types: &[ValType]) -> Block {
        let b = self.bcx.create_block();
        for t in types {
            self.bcx.append_block_param(b, clif_type(*t));
        }
        b
    }

    pub(super) fn jump(&mut self, target: Block, values: &[Value]) {
        self.bcx.ins().jump(target, &args(values));
    }

    /// Handles control operators and the other non-numeric basics. Returns false if `op`
    /// is not one of them.
    pub(super) fn translate_control(&mut self, op: &Operator<'_>) -> Result<bool, CompileError> {
        match *op {
            Operator::Nop => {}
            Operator::Unreachable => {
                self.trap(Trap::Unreachable);
                self.reachable = false;
            }
            Operator::Block { blockty } => {
                let (params, results) = self.block_sig(blockty);
                let dest = self.new_block_with(&results);
                let base = self.stack.len() - params.len();
                self.control.push(Frame::new(
                    FrameKind::Block,
                    dest,
                    params.len(),
                    results.len(),
                    base,
                ));
            }
            Operator::Loop { blockty } => {
                let (params, results) = self.block_sig(blockty);
                let header = self.new_block_with(&params);
                let dest = self.new_block_with(&results);
                let entry_args = self.popn(params.len());
                self.jump(header, &entry_args);
                self.bcx.switch_to_block(header);
                self.interrupt_check();
                self.fuel_check();
                let header_params = self.bcx.block_params(header).to_vec();
                let base = self.stack.len();
                self.stack.extend_from_slice(&header_params);
                self.control.push(Frame::new(
                    FrameKind::Loop { header },
                    dest,
                    params.len(),
                    results.len(),
                    base,
                ));
            }
            Operator::If { blockty } => {
                let (params, results) = self.block_sig(blockty);
                let cond = self.pop();
                let then_block = self.bcx.create_block();
                let else_block = self.new_block_with(&params);
                let dest = self.new_block_with(&results);
                let base = self.stack.len() - params.len();
                let entry_params = self.stack[base..].to_vec();
                self.bcx
                    .ins()
                    .brif(cond, then_block, &[], else_block, &args(&entry_params));
                self.bcx.seal_block(then_block);
                self.bcx.seal_block(else_block);
                self.bcx.switch_to_block(then_block);
                self.control.push(Frame::new(
                    FrameKind::If {
                        else_block,
                        head_reachable: true,
                        has_else: false,
                        then_reachable: false,
                    },
                    dest,
                    params.len(),
                    results.len(),
                    base,
                ));
            }
            Operator::Else => self.translate_else(),
            Operator::End => self.translate_end(),
            Operator::Br { relative_depth } => {
                self.branch(relative_depth);
                self.reachable = false;
            }
            Operator::BrIf { relative_depth } => {
                let cond = self.pop();
                let (target, n) = self.target(relative_depth);
                let values = self.stack[self.stack.len() - n..].to_vec();
                let next = self.bcx.create_block();
                self.bcx.ins().brif(cond, target, &args(&values), next, &[]);
                self.bcx.seal_block(next);
                self.bcx.switch_to_block(next);
            }
            Operator::BrTable { ref targets } => {
                let index = self.pop();
                let default = targets.default();
                let depths: Vec<u32> = targets
                    .targets()
                    .collect::<Result<_, _>>()
                    .expect("validated br_table");
                self.br_table(index, &depths, default);
                self.reachable = false;
            }
            Operator::Return => {
                let depth = u32::try_from(self.control.len() - 1)
                    .expect("wasmparser limits nesting far below u32::MAX");
                self.branch(depth);
                self.reachable = false;
            }
            Operator::Drop => {
                self.pop();
            }
            Operator::Select | Operator::TypedSelect { .. } => {
                let (a, b, c) = self.pop3();
                let v = self.bcx.ins().select(c, a, b);
                self.push(v);
            }
            Operator::TypedSelectMulti { .. } => {
                return Ok(false);
            }
            Operator::LocalGet { local_index } => {
                let (var, _) = self.locals[local_index as usize];
                let v = self.bcx.use_var(var);
                self.push(v);
            }
            Operator::LocalSet { local_index } => {
                let v = self.pop();
                let (var, _) = self.locals[local_index as usize];
                self.bcx.def_var(var, v);
            }
            Operator::LocalTee { local_index } => {
                let v = *self.stack.last().expect("validated");
                let (var, _) = self.locals[local_index as usize];
                self.bcx.def_var(var, v);
            }
            Operator::Call { function_index } => self.call(function_index, CallKind::Call),
            Operator::CallIndirect {
                type_index,
                table_index,
            } => self.call_indirect(type_index, table_index, CallKind::Call),
            Operator::ReturnCall { function_index } => {
                self.call(function_index, CallKind::ReturnCall);
            }
            Operator::ReturnCallIndirect {
                type_index,
                table_index,
            } => self.call_indirect(type_index, table_index, CallKind::ReturnCall),
            Operator::CallRef { type_index } => self.call_ref(type_index, CallKind::Call),
            Operator::ReturnCallRef { type_index } => {
                self.call_ref(type_index, CallKind::ReturnCall);
            }
            Operator::BrOnNull { relative_depth } => {
                // [t* (ref null ht)] -> [t* (ref ht)]: branch (without the reference) when
                // it is null.
                let r = self.pop();
                let is_null = self.bcx.ins().icmp_imm_u(IntCC::Equal, r, 0);
                let (target, n) = self.target(relative_depth);
                let values = self.stack[self.stack.len() - n..].to_vec();
                let next = self.bcx.create_block();
                self.bcx
                    .ins()
                    .brif(is_null, target, &args(&values), next, &[]);
                self.bcx.seal_block(next);
                self.bcx.switch_to_block(next);
                self.push(r);
            }
            Operator::BrOnNonNull { relative_depth } => {
                // [t* (ref null ht)] -> [t*]: branch with the reference (the label's last
                // value) when it is not null, drop it otherwise.
                let r = *self.stack.last().expect("validated");
                let (target, n) = self.target(relative_depth);
                let values = self.stack[self.stack.len() - n..].to_vec();
                let next = self.bcx.create_block();
                self.bcx.ins().brif(r, target, &args(&values), next, &[]);
                self.bcx.seal_block(next);
                self.bcx.switch_to_block(next);
                self.pop();
            }
            _ => return Ok(false),
        }
        Ok(true)
    }

    /// The block and value count of a branch to the frame `depth` levels out; marks it
    /// branched to.
    pub(super) fn target(&mut self, depth: u32) -> (Block, usize) {
        let i = self.control.len() - 1 - depth as usize;
        let frame = &mut self.control[i];
        frame.branched_to = true;
        frame.branch_target()
    }

    fn branch(&mut self, depth: u32) {
        let (target, n) = self.target(depth);
        let values = self.stack[self.stack.len() - n..].to_vec();
        self.jump(target, &values);
    }

    fn br_table(&mut self, index: Value, depths: &[u32], default: u32) {
        let (_, n) = self.target(default);
        let values = self.stack[self.stack.len() - n..].to_vec();
        if n == 0 {
            // Branch straight to the targets.
            let mut switch = Switch::new();
            for (i, d) in depths.iter().enumerate() {
                let (block, _) = self.target(*d);
                switch.set_entry(i as u128, block);
            }
            let (default_block, _) = self.target(default);
            switch.emit(&mut self.bcx, index, default_block);
            return;
        }
        // Branches carry values: go through one edge block per distinct target, since a
        // jump table cannot pass block arguments.
        let mut edges: Vec<(u32, Block)> = Vec::new();
        let mut edge_for = |cx: &mut Self, depth: u32| -> Block {
            if let Some((_, b)) = edges.iter().find(|(d, _)| *d == depth) {
                return *b;
            }
            let b = cx.bcx.create_block();
            edges.push((depth, b));
            b
        };
        let mut switch = Switch::new();
        for (i, d) in depths.iter().enumerate() {
            let b = edge_for(self, *d);
            switch.set_entry(i as u128, b);
        }
        let default_edge = edge_for(self, default);
        switch.emit(&mut self.bcx, index, default_edge);
        for (depth, edge) in edges {
            self.bcx.seal_block(edge);
            self.bcx.switch_to_block(edge);
            let (target, _) = self.target(depth);
            self.jump(target, &values);
        }
    }

    fn translate_else(&mut self) {
        let frame = self.control.last_mut().expect("validated");
        let FrameKind::If {
            else_block,
            head_reachable,
            ..
        } = frame.kind
        else {
            unreachable!("validated else");
        };
        // End of the `then` arm.
        let then_reachable = self.reachable;
        if then_reachable {
            let n = frame.num_results;
            let dest = frame.dest;
            let values = self.stack[self.stack.len() - n..].to_vec();
            self.bcx.ins().jump(dest, &args(&values));
        }
        let frame = self.control.last_mut().expect("validated");
        frame.kind = FrameKind::If {
            else_block,
            head_reachable,
            has_else: true,
            then_reachable,
        };
        let base = frame.base;
        self.stack.truncate(base);
        self.bcx.switch_to_block(else_block);
        let params = self.bcx.block_params(else_block).to_vec();
        self.stack.extend_from_slice(&params);
        self.reachable = head_reachable;
    }

    pub(super) fn translate_end(&mut self) {
        let frame = self.control.pop().expect("validated end");
        let end_reachable = self.reachable;
        if end_reachable {
            let values = self.stack[self.stack.len() - frame.num_results..].to_vec();
            self.jump(frame.dest, &values);
        }
        let mut dest_reachable = end_reachable || frame.branched_to;
        match frame.kind {
            FrameKind::Loop { header } => self.bcx.seal_block(header),
            FrameKind::If {
                else_block,
                head_reachable,
                has_else,
                then_reachable,
            } => {
                if has_else {
                    dest_reachable |= then_reachable;
                } else {
                    // No `else`: the else arm passes the parameters through.
                    self.bcx.switch_to_block(else_block);
                    let params = self.bcx.block_params(else_block).to_vec();
                    self.jump(frame.dest, &params);
                    dest_reachable |= head_reachable;
                }
            }
            FrameKind::TryTable => {
                // Every call of the body, the only code these handlers cover, is known.
                for h in &frame.handlers {
                    self.bcx.seal_block(h.block);
                }
                self.open_tries -= 1;
            }
            FrameKind::Try { .. } => self.open_tries -= 1,
            FrameKind::Block => {}
        }
        self.stack.truncate(frame.base);
        self.bcx.switch_to_block(frame.dest);
        self.bcx.seal_block(frame.dest);
        let results = self.bcx.block_params(frame.dest).to_vec();
        if self.control.is_empty() {
            // The function body's end: return the results.
            if dest_reachable {
                self.fuel_save();
                self.bcx.ins().return_(&results);
            } else {
                self.trap(Trap::Unreachable);
            }
            self.reachable = false;
            return;
        }
        self.stack.extend_from_slice(&results);
        self.reachable = dest_reachable;
        if !dest_reachable {
            // Nothing jumps here: the block is dead; keep it well-formed.
            self.trap(Trap::Unreachable);
            self.stack.truncate(frame.base);
        }
    }

    /// Skips an operator in unreachable code, tracking nesting so that the `else`/`end`
    /// that makes code reachable again is found.
    pub(super) fn translate_unreachable(&mut self, op: &Operator<'_>) -> Result<(), CompileError> {
        match op {
            Operator::Block { .. }
            | Operator::Loop { .. }
            | Operator::If { .. }
            | Operator::TryTable { .. }
            | Operator::Try { .. } => {
                self.unreachable_depth += 1;
            }
            Operator::Else if self.unreachable_depth == 0 => self.translate_else(),
            Operator::Catch { tag_index } if self.unreachable_depth == 0 => {
                self.legacy_catch(Some(*tag_index))
            }
            Operator::CatchAll if self.unreachable_depth == 0 => self.legacy_catch(None),
            Operator::End | Operator::Delegate { .. } if self.unreachable_depth == 0 => {
                self.translate_end()
            }
            Operator::End | Operator::Delegate { .. } => self.unreachable_depth -= 1,
            _ => {}
        }
        Ok(())
    }

    /// `call` or `return_call` of function `function_index`: direct for a defined
    /// function, through `vmctx.imported_funcs` for an import.
    fn call(&mut self, function_index: u32, kind: CallKind) {
        if self
            .m
            .trapping_imports
            .get(function_index as usize)
            .is_some_and(|t| *t)
        {
            self.trap(Trap::UnknownImport);
            self.reachable = false;
            return;
        }
        let ty = self.m.info.types[self.m.info.funcs[function_index as usize] as usize].clone();
        let sig = self.m.signature(&ty);
        let args = self.popn(ty.params.len());
        if let Some(id) = self.m.func_ids[function_index as usize] {
            let callee = super::import_func(&mut self.bcx, id, sig, true);
            let mut all = vec![self.vmctx];
            all.extend(args);
            match kind {
                CallKind::Call => {
                    let results = self.emit_call(Callee::Direct(callee), &all);
                    self.stack.extend(results);
                }
                CallKind::ReturnCall => {
                    self.bcx.ins().return_call(callee, &all);
                    self.reachable = false;
                }
            }
        } else {
            // An import: its code and context from vmctx.imported_funcs[i].
            let imports = self.load_readonly(self.vmctx, vmctx::OFFSET_IMPORTED_FUNCS);
            let off = function_index as i32 * vmctx::VMIMPORTEDFUNC_SIZE;
            let code = self.load_readonly(imports, off + vmctx::OFFSET_VMIMPORTEDFUNC_CODE);
            let callee_vmctx =
                self.load_readonly(imports, off + vmctx::OFFSET_VMIMPORTEDFUNC_VMCTX);
            let sig_ref = self.bcx.import_signature(sig);
            let mut all = vec![callee_vmctx];
            all.extend(args);
            self.call_code(kind, sig_ref, code, &all);
        }
    }

    /// Calls (or tail-calls) `code` of signature `sig` with `args` (vmctx first), pushing
    /// its results; after a tail call the code that follows is unreachable.
    fn call_code(&mut self, kind: CallKind, sig: ir::SigRef, code: Value, args: &[Value]) {
        match kind {
            CallKind::Call => {
                let results = self.emit_call(Callee::Indirect(sig, code), args);
                self.stack.extend(results);
            }
            CallKind::ReturnCall => {
                self.bcx.ins().return_call_indirect(sig, code, args);
                self.reachable = false;
            }
        }
    }

    /// `call_indirect` or `return_call_indirect` through table `table_index`.
    fn call_indirect(&mut self, type_index: u32, table_index: u32, kind: CallKind) {
        let ty = self.m.info.types[type_index as usize].clone();
        let index = self.pop();
        let args = self.popn(ty.params.len());
        let (base, len) = self.table_base_and_len(table_index);
        let oob = self
            .bcx
            .ins()
            .icmp(IntCC::UnsignedGreaterThanOrEqual, index, len);
        self.trapnz(oob, Trap::UndefinedElement);
        let funcref = self.table_element_load(base, index);
        self.trapz(funcref, Trap::UninitializedElement);
        // Compare the canonical type ids: the caller's expected id comes from the
        // runtime (types are interned across modules), the callee's from its funcref.
        let type_ids = self.load_readonly(self.vmctx, vmctx::OFFSET_TYPE_IDS);
        let expected = self.bcx.ins().load(
            types::I32,
            super::readonly(),
            type_ids,
            type_index as i32 * 4,
        );
        let actual = self.bcx.ins().load(
            types::I32,
            ir::MemFlagsData::trusted(),
            funcref,
            vmctx::OFFSET_VMFUNCREF_TYPE_ID,
        );
        let mismatch = self.bcx.ins().icmp(IntCC::NotEqual, expected, actual);
        self.trapnz(mismatch, Trap::BadSignature);
        self.call_funcref(funcref, &ty, args, kind);
    }

    /// `call_ref $t` or `return_call_ref $t`: the reference's type is `$t` (validated), so
    /// only null is checked.
    fn call_ref(&mut self, type_index: u32, kind: CallKind) {
        let ty = self.m.info.types[type_index as usize].clone();
        let funcref = self.pop();
        let args = self.popn(ty.params.len());
        self.trapz(funcref, Trap::NullReference);
        self.call_funcref(funcref, &ty, args, kind);
    }

    /// Calls (or tail-calls, by `kind`) the function `funcref` (a non-null
    /// `*const VmFuncRef` of type `ty`) with `args`; pushes its results.
    fn call_funcref(
        &mut self,
        funcref: Value,
        ty: &kiln_abi::info::FuncType,
        args: Vec<Value>,
        kind: CallKind,
    ) {
        let code = self.bcx.ins().load(
            types::I64,
            ir::MemFlagsData::trusted(),
            funcref,
            vmctx::OFFSET_VMFUNCREF_CODE,
        );
        let callee_vmctx = self.bcx.ins().load(
            types::I64,
            ir::MemFlagsData::trusted(),
            funcref,
            vmctx::OFFSET_VMFUNCREF_VMCTX,
        );
        let sig = self.m.signature(ty);
        let sig_ref = self.bcx.import_signature(sig);
        let mut all = vec![callee_vmctx];
        all.extend(args);
        self.call_code(kind, sig_ref, code, &all);
    }
}

/// A call that returns to its caller, or a tail call (`return_call*`), which replaces the
/// caller's frame: it runs in the caller's stack space and returns to the caller's caller.
#[derive(Clone, Copy, PartialEq, Eq)]
enum CallKind {
    Call,
    ReturnCall,
}
