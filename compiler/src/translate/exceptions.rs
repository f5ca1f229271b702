//! Exception handling: `throw`, `throw_ref`, `try_table` with its catch clauses, and the
//! legacy `try`/`catch`/`catch_all`/`delegate`/`rethrow`, all onto one mechanism.
//!
//! An exception is a runtime object (`kiln_abi::vmctx::VmExn`: its tag and payload) and an
//! `exnref` points to it. `throw` asks the runtime for a new object (`kiln_rt_exn_new`),
//! stores the payload into it and calls `kiln_rt_throw_ref`, which unwinds. Every call
//! made inside a handler's scope (the body of a `try_table`, or of a legacy `try`) is a
//! Cranelift `try_call` whose exception table lists, innermost first, the handlers in
//! scope: the tag index each catches (or catch-all) and its landing block, plus the
//! function's vmctx as the dynamic context that gives those tag indices their identity.
//! The runtime's unwinder reads the tables from the descriptor and resumes in the first
//! landing block whose tag matches; the landing block receives the `exnref` (Cranelift's
//! first exception payload) and unpacks the payload.
//!
//! A `try_table`'s landing blocks branch straight to the clause's label. A legacy `try`'s
//! landing blocks are the starts of its `catch` bodies; since those come after the body in
//! the instruction stream, the clauses of every `try` are collected by a pre-scan of the
//! function ([`scan_legacy_tries`]) the first time a `try` is met.

use std::collections::HashMap;

use cranelift_codegen::ir::{
    self, types, BlockArg, ExceptionTableData, ExceptionTableItem, ExceptionTag, InstBuilder,
    MemFlagsData, Value,
};
use kiln_abi::builtin::Builtin;
use kiln_abi::{vmctx, Trap};
use wasmparser::{Catch, FunctionBody, Operator};

use super::control::{CatchHandler, Frame, FrameKind};
use super::{clif_type, FuncCx};
use crate::environ::invalid;
use crate::CompileError;

/// The clauses of one legacy `try`, in order: the tag each `catch` names (`None` for
/// `catch_all`), and the label of its `delegate`, if it ends in one.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct TryClauses {
    pub catches: Vec<Option<u32>>,
    pub delegate: Option<u32>,
}

/// Every legacy `try` of a function body, by the byte offset of its `try` operator.
pub(crate) fn scan_legacy_tries(
    body: &FunctionBody<'_>,
) -> Result<HashMap<usize, TryClauses>, CompileError> {
    let mut tries = HashMap::new();
    // One entry per open block: the offset of its `try`, for `try` blocks.
    let mut open: Vec<Option<usize>> = Vec::new();
    let mut ops = body.get_operators_reader().map_err(invalid)?;
    while !ops.eof() {
        let (op, offset) = ops.read_with_offset().map_err(invalid)?;
        let offset = crate::environ::to_usize(offset);
        match op {
            Operator::Block { .. }
            | Operator::Loop { .. }
            | Operator::If { .. }
            | Operator::TryTable { .. } => open.push(None),
            Operator::Try { .. } => {
                open.push(Some(offset));
                tries.insert(offset, TryClauses::default());
            }
            Operator::Catch { tag_index } => {
                if let Some(Some(t)) = open.last() {
                    tries
                        .get_mut(t)
                        .expect("inserted")
                        .catches
                        .push(Some(tag_index));
                }
            }
            Operator::CatchAll => {
                if let Some(Some(t)) = open.last() {
                    tries.get_mut(t).expect("inserted").catches.push(None);
                }
            }
            Operator::Delegate { relative_depth } => {
                if let Some(Some(t)) = open.pop() {
                    tries.get_mut(&t).expect("inserted").delegate = Some(relative_depth);
                }
            }
            Operator::End => {
                open.pop();
            }
            _ => {}
        }
    }
    Ok(tries)
}

/// What a call calls.
pub(crate) enum Callee {
    Direct(ir::FuncRef),
    Indirect(ir::SigRef, Value),
}

impl FuncCx<'_, '_> {
    /// Translates the exception-handling operators. Returns false if `op` is not one.
    pub(super) fn translate_exceptions(
        &mut self,
        op: &Operator<'_>,
        offset: usize,
    ) -> Result<bool, CompileError> {
        match *op {
            Operator::Throw { tag_index } => {
                let ty = self.tag_params(tag_index);
                let payload = self.popn(ty.len());
                let tag = self.bcx.ins().iconst(types::I32, i64::from(tag_index));
                let exn = self.call_builtin(Builtin::ExnNew, &[tag])[0];
                for (i, v) in payload.into_iter().enumerate() {
                    let at = vmctx::OFFSET_VMEXN_VALUES + vmctx::VMEXN_VALUE_SIZE * slot(i);
                    self.bcx.ins().store(MemFlagsData::trusted(), v, exn, at);
                }
                self.throw_exn(exn);
            }
            Operator::ThrowRef => {
                let exn = self.pop();
                self.trapz(exn, Trap::NullReference);
                self.throw_exn(exn);
            }
            Operator::TryTable { ref try_table } => self.try_table(try_table),
            Operator::Try { blockty } => {
                let clauses = self
                    .legacy_tries
                    .as_ref()
                    .and_then(|t| t.get(&offset))
                    .cloned()
                    .expect("every `try` was scanned");
                self.legacy_try(blockty, clauses);
            }
            Operator::Catch { tag_index } => self.legacy_catch(Some(tag_index)),
            Operator::CatchAll => self.legacy_catch(None),
            // The handlers of a delegating `try` are those of its target (see
            // `handlers_in_scope`); at its end it is an ordinary block.
            Operator::Delegate { .. } => self.translate_end(),
            Operator::Rethrow { relative_depth } => {
                let i = self.control.len() - 1 - relative_depth as usize;
                let FrameKind::Try {
                    caught: Some(exn), ..
                } = self.control[i].kind
                else {
                    unreachable!("validated: rethrow names a catch block");
                };
                self.throw_exn(exn);
            }
            _ => return Ok(false),
        }
        Ok(true)
    }

    /// The payload types of tag `tag_index`.
    fn tag_params(&self, tag_index: u32) -> Vec<kiln_abi::info::ValType> {
        let info = self.m.info;
        info.types[info.tags[tag_index as usize] as usize]
            .params
            .clone()
    }

    /// Throws `exn` (a non-null `exnref`): the rest of the block is unreachable.
    fn throw_exn(&mut self, exn: Value) {
        let callee = self.builtin_ref(Builtin::ThrowRef);
        let vmctx = self.vmctx;
        self.emit_call(Callee::Direct(callee), &[vmctx, exn]);
        // `kiln_rt_throw_ref` never returns.
        self.trap(Trap::Unreachable);
        self.reachable = false;
    }

    /// Loads the payload of an exception of tag `tag_index` from `exn`.
    fn unpack(&mut self, tag_index: u32, exn: Value) -> Vec<Value> {
        let params = self.tag_params(tag_index);
        params
            .iter()
            .enumerate()
            .map(|(i, t)| {
                let at = vmctx::OFFSET_VMEXN_VALUES + vmctx::VMEXN_VALUE_SIZE * slot(i);
                self.bcx
                    .ins()
                    .load(clif_type(*t), MemFlagsData::trusted(), exn, at)
            })
            .collect()
    }

    fn try_table(&mut self, try_table: &wasmparser::TryTable) {
        let (params, results) = self.block_sig(try_table.ty);
        let body = self.bcx.create_block();
        let dest = self.new_block_with(&results);
        self.bcx.ins().jump(body, &[]);
        self.bcx.seal_block(body);
        // Each clause's landing block unpacks the exception and branches to the clause's
        // label, which is counted from outside the `try_table` (its frame is not pushed
        // yet). The blocks are sealed at `end`, once every call of the body is known.
        let mut handlers = Vec::with_capacity(try_table.catches.len());
        for catch in &try_table.catches {
            let (tag, label, is_ref) = match *catch {
                Catch::One { tag, label } => (Some(tag), label, false),
                Catch::OneRef { tag, label } => (Some(tag), label, true),
                Catch::All { label } => (None, label, false),
                Catch::AllRef { label } => (None, label, true),
            };
            let landing = self.bcx.create_block();
            let exn = self.bcx.append_block_param(landing, types::I64);
            self.bcx.switch_to_block(landing);
            self.fuel_reload();
            let mut values = tag.map_or_else(Vec::new, |t| self.unpack(t, exn));
            if is_ref {
                values.push(exn);
            }
            let (target, n) = self.target(label);
            debug_assert_eq!(n, values.len(), "validated catch clause");
            self.jump(target, &values);
            handlers.push(CatchHandler {
                tag,
                block: landing,
                used: false,
            });
        }
        self.bcx.switch_to_block(body);
        let base = self.stack.len() - params.len();
        let mut frame = Frame::new(FrameKind::TryTable, dest, params.len(), results.len(), base);
        frame.handlers = handlers;
        self.control.push(frame);
        self.open_tries += 1;
    }

    fn legacy_try(&mut self, blockty: wasmparser::BlockType, clauses: TryClauses) {
        let (params, results) = self.block_sig(blockty);
        let dest = self.new_block_with(&results);
        let base = self.stack.len() - params.len();
        let handlers = clauses
            .catches
            .iter()
            .map(|tag| {
                let block = self.bcx.create_block();
                self.bcx.append_block_param(block, types::I64);
                CatchHandler {
                    tag: *tag,
                    block,
                    used: false,
                }
            })
            .collect();
        let kind = FrameKind::Try {
            delegate: clauses.delegate,
            in_body: true,
            caught: None,
            next_clause: 0,
        };
        let mut frame = Frame::new(kind, dest, params.len(), results.len(), base);
        frame.handlers = handlers;
        self.control.push(frame);
        self.open_tries += 1;
    }

    /// `catch $tag` (`Some`) or `catch_all` (`None`) of the innermost legacy `try`: ends the
    /// body or the previous catch and starts this clause's code in its landing block.
    pub(super) fn legacy_catch(&mut self, _tag: Option<u32>) {
        if self.reachable {
            let frame = self.control.last().expect("validated catch");
            let (dest, n) = (frame.dest, frame.num_results);
            let values = self.stack[self.stack.len() - n..].to_vec();
            self.jump(dest, &values);
            self.control.last_mut().expect("validated").branched_to = true;
        }
        let frame = self.control.last_mut().expect("validated catch");
        let FrameKind::Try {
            delegate,
            next_clause,
            ..
        } = frame.kind
        else {
            unreachable!("validated: catch follows a try");
        };
        let handler = frame.handlers[next_clause];
        let base = frame.base;
        self.stack.truncate(base);
        self.bcx.switch_to_block(handler.block);
        // Every call of the body, the only code these handlers cover, is translated.
        self.bcx.seal_block(handler.block);
        let exn = self.bcx.block_params(handler.block)[0];
        let frame = self.control.last_mut().expect("validated catch");
        frame.kind = FrameKind::Try {
            delegate,
            in_body: false,
            caught: Some(exn),
            next_clause: next_clause + 1,
        };
        self.unreachable_depth = 0;
        if !handler.used {
            // Nothing in the body can throw: the clause is dead code.
            self.trap(Trap::Unreachable);
            self.reachable = false;
            return;
        }
        self.reachable = true;
        self.fuel_reload();
        if let Some(tag) = handler.tag {
            let values = self.unpack(tag, exn);
            self.stack.extend(values);
        }
    }

    /// The handlers a call made here is covered by, innermost first (each one's tag and
    /// landing block); marks them used.
    fn handlers_in_scope(&mut self) -> Vec<(Option<u32>, ir::Block)> {
        let mut out = Vec::new();
        if self.open_tries == 0 {
            return out;
        }
        let mut i = self.control.len();
        while i > 0 {
            i -= 1;
            let frame = &mut self.control[i];
            let covers = match frame.kind {
                FrameKind::TryTable => true,
                FrameKind::Try {
                    in_body: true,
                    delegate: Some(depth),
                    ..
                } => {
                    // Delegation: as if thrown just inside the block labelled `depth`
                    // (counted from outside this `try`), whose handlers then apply.
                    match i.checked_sub(depth as usize) {
                        Some(target) => {
                            i = target;
                            continue;
                        }
                        None => break,
                    }
                }
                FrameKind::Try { in_body, .. } => in_body,
                _ => false,
            };
            if !covers {
                continue;
            }
            for h in &mut frame.handlers {
                h.used = true;
                out.push((h.tag, h.block));
                if h.tag.is_none() {
                    // A catch-all: nothing further out can see the exception.
                    return out;
                }
            }
        }
        out
    }

    /// Emits a call of `callee` with `args` (the callee's vmctx first); its results. Inside
    /// the scope of a handler it is a `try_call` with the handlers in scope.
    pub(super) fn emit_call(&mut self, callee: Callee, args: &[Value]) -> Vec<Value> {
        let handlers = self.handlers_in_scope();
        if handlers.is_empty() {
            let call = match callee {
                Callee::Direct(f) => self.bcx.ins().call(f, args),
                Callee::Indirect(sig, code) => self.bcx.ins().call_indirect(sig, code, args),
            };
            return self.bcx.inst_results(call).to_vec();
        }
        let sig = match callee {
            Callee::Direct(f) => self.bcx.func.dfg.ext_funcs[f].signature,
            Callee::Indirect(sig, _) => sig,
        };
        let returns: Vec<ir::Type> = self.bcx.func.dfg.signatures[sig]
            .returns
            .iter()
            .map(|p| p.value_type)
            .collect();
        let cont = self.bcx.create_block();
        let rets: Vec<BlockArg> = (0..returns.len())
            .map(|i| BlockArg::TryCallRet(u32::try_from(i).expect("few results")))
            .collect();
        for t in &returns {
            self.bcx.append_block_param(cont, *t);
        }
        let dfg = &mut self.bcx.func.dfg;
        let normal = dfg.block_call(cont, &rets);
        let mut items = vec![ExceptionTableItem::Context(self.vmctx)];
        for (tag, block) in handlers {
            let call = dfg.block_call(block, &[BlockArg::TryCallExn(0)]);
            items.push(match tag {
                Some(t) => ExceptionTableItem::Tag(ExceptionTag::from_u32(t), call),
                None => ExceptionTableItem::Default(call),
            });
        }
        let table = dfg
            .exception_tables
            .push(ExceptionTableData::new(sig, normal, items));
        match callee {
            Callee::Direct(f) => self.bcx.ins().try_call(f, args, table),
            Callee::Indirect(_, code) => self.bcx.ins().try_call_indirect(code, args, table),
        };
        self.bcx.switch_to_block(cont);
        self.bcx.seal_block(cont);
        self.bcx.block_params(cont).to_vec()
    }
}

/// Payload slot `i` as an offset multiplier (payloads are bounded by the validator).
fn slot(i: usize) -> i32 {
    i32::try_from(i).expect("wasmparser bounds a tag's parameters far below i32::MAX")
}
