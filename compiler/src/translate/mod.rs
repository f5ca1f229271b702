//! Translation of one wasm function body to Cranelift IR.
//!
//! The translator keeps wasm's operand stack as a stack of CLIF [`Value`]s and wasm's
//! control stack as [`Frame`]s; locals are `cranelift-frontend` variables, so SSA
//! construction is the frontend's job. Every operator is validated (by the module's
//! `FuncValidator`) just before it is translated, so translation can trust its input.
//!
//! Code after an unconditional branch is unreachable: it is validated but not translated
//! ([`FuncCx::reachable`] false, nested blocks only counted).

mod atomics;
mod control;
mod exceptions;
mod fuel;
mod heap;
mod interrupt;
mod memory;
mod numeric;
mod simd;
mod tables;

use cranelift_codegen::ir::{
    self, types, AbiParam, ArgumentPurpose, Function, GlobalValueData, InstBuilder, MemFlagsData,
    Signature, TrapCode, UserExternalName, UserFuncName, Value,
};
use cranelift_codegen::isa::CallConv;
use cranelift_frontend::{FunctionBuilder, FunctionBuilderContext, Variable};
use cranelift_module::FuncId;
use kiln_abi::builtin::{AbiType, Builtin};
use kiln_abi::info::{FuncType, ModuleInfo, ValType};
use kiln_abi::{vmctx, Trap};
use wasmparser::{FuncValidatorAllocations, Operator};

use crate::environ::{invalid, FunctionInput};
use crate::CompileError;

use control::Frame;

/// The calling convention of every wasm function, and so of every call between them
/// (direct, through an import, indirect): Cranelift's `tail`, which has tail calls.
pub(crate) const WASM_CALL_CONV: CallConv = CallConv::Tail;

/// What every function translation needs to know about the module; shared by all threads.
pub(crate) struct ModuleCtx<'a> {
    pub info: &'a ModuleInfo,
    /// The platform's C calling convention (System V on x86-64 Linux): that of the
    /// runtime's builtins, host functions and the array-call trampolines.
    pub host_call_conv: CallConv,
    /// The target's architecture: relaxed SIMD operators use x86's instructions on x86-64
    /// and sequences with the same results elsewhere (`simd.rs`).
    pub arch: kiln_abi::target::Arch,
    /// The Cranelift function declared for each function index (None for imports).
    pub func_ids: &'a [Option<FuncId>],
    /// Each runtime builtin's declaration and native signature, by [`Builtin::index`].
    pub builtins: &'a [(FuncId, Signature)],
    pub frontend_config: cranelift_codegen::isa::TargetFrontendConfig,
    /// Per imported function: calling it traps (`--unknown-imports=trap`).
    pub trapping_imports: &'a [bool],
    /// Whether functions check `vmctx.interrupt` at entry and loop headers (`--timeout`).
    pub interruptible: bool,
    /// Whether functions count fuel and check it at entry and loop headers (`--fuel`).
    pub fuel: bool,
}

impl ModuleCtx<'_> {
    /// The native signature of a wasm function of type `ty` (the `tail` convention).
    pub(crate) fn signature(&self, ty: &FuncType) -> Signature {
        wasm_signature(ty, WASM_CALL_CONV)
    }
}

/// The native signature of a runtime builtin: `(vmctx, params...) -> results`, from its
/// entry in the ABI's list.
pub(crate) fn builtin_signature(builtin: Builtin, call_conv: CallConv) -> Signature {
    let abi = |t: &AbiType| {
        AbiParam::new(match t {
            AbiType::I32 => types::I32,
            AbiType::I64 => types::I64,
        })
    };
    let mut sig = Signature::new(call_conv);
    sig.params.push(AbiParam::new(types::I64));
    sig.params.extend(builtin.params().iter().map(abi));
    sig.returns.extend(builtin.results().iter().map(abi));
    sig
}

/// The native signature of a wasm function type: `(vmctx, params...) -> results`, in
/// `call_conv`: [`WASM_CALL_CONV`] for wasm functions, the host's for host functions.
pub(crate) fn wasm_signature(ty: &FuncType, call_conv: CallConv) -> Signature {
    let mut sig = Signature::new(call_conv);
    sig.params
        .push(AbiParam::special(types::I64, ArgumentPurpose::VMContext));
    sig.params
        .extend(ty.params.iter().map(|t| AbiParam::new(clif_type(*t))));
    sig.returns
        .extend(ty.results.iter().map(|t| AbiParam::new(clif_type(*t))));
    sig
}

pub(crate) fn clif_type(t: ValType) -> ir::Type {
    match t {
        ValType::I32 => types::I32,
        ValType::I64 => types::I64,
        ValType::F32 => types::F32,
        ValType::F64 => types::F64,
        ValType::V128 => types::I8X16,
        ValType::FuncRef | ValType::ExternRef | ValType::Ref(_) | ValType::ExnRef => types::I64,
    }
}

/// The Cranelift trap code for a Kiln trap.
pub(crate) fn trap_code(trap: Trap) -> TrapCode {
    match trap {
        Trap::StackOverflow => TrapCode::STACK_OVERFLOW,
        Trap::MemoryOutOfBounds => TrapCode::HEAP_OUT_OF_BOUNDS,
        Trap::IntegerOverflow => TrapCode::INTEGER_OVERFLOW,
        Trap::IntegerDivisionByZero => TrapCode::INTEGER_DIVISION_BY_ZERO,
        Trap::BadConversionToInteger => TrapCode::BAD_CONVERSION_TO_INTEGER,
        other => TrapCode::unwrap_user(other as u8),
    }
}

/// The Kiln trap for a Cranelift trap code (inverse of [`trap_code`]).
pub(crate) fn trap_from_code(code: TrapCode) -> Option<Trap> {
    Trap::ALL.into_iter().find(|t| trap_code(*t) == code)
}

/// Name of a module-level function in CLIF (namespace 0 = `cranelift_module` functions).
pub(crate) fn func_name(id: FuncId) -> UserExternalName {
    UserExternalName::new(0, id.as_u32())
}

/// Declares the module function `id` in `bcx`'s function, for direct calls. `colocated`:
/// defined in the same object (a PC-relative call); otherwise reached through the GOT.
pub(crate) fn import_func(
    bcx: &mut FunctionBuilder<'_>,
    id: FuncId,
    sig: Signature,
    colocated: bool,
) -> ir::FuncRef {
    let signature = bcx.import_signature(sig);
    let name = bcx.func.declare_imported_user_function(func_name(id));
    bcx.import_function(ir::ExtFuncData {
        name: ir::ExternalName::User(name),
        signature,
        colocated,
        patchable: false,
    })
}

/// Flags for loads of the runtime's own data structures that never change for the life of
/// the instance (vmctx header fields, the table-of-pointers arrays).
fn readonly() -> MemFlagsData {
    MemFlagsData::trusted().with_readonly().with_can_move()
}

/// Translates one function body. Returns the CLIF function.
pub(crate) fn translate_function(
    m: &ModuleCtx<'_>,
    input: FunctionInput<'_>,
    fctx: &mut FunctionBuilderContext,
) -> Result<Function, CompileError> {
    let ty = &m.info.types[m.info.funcs[input.index as usize] as usize];
    let sig = m.signature(ty);
    let id = m.func_ids[input.index as usize].expect("defined function");
    let mut func = Function::with_name_signature(UserFuncName::User(func_name(id)), sig);

    // Cranelift checks the stack pointer against vmctx.stack_limit in the prologue (of
    // every function but small ones that cannot recurse, see `codegen::compile`): deep
    // recursion becomes a `call stack exhausted` trap instead of a segfault.
    let vmctx_gv = func.create_global_value(GlobalValueData::VMContext);
    let limit_flags = func
        .dfg
        .mem_flags
        .insert(MemFlagsData::trusted().with_readonly())
        .expect("few memflags");
    let limit = func.create_global_value(GlobalValueData::Load {
        base: vmctx_gv,
        offset: vmctx::OFFSET_STACK_LIMIT.into(),
        global_type: types::I64,
        flags: limit_flags,
    });
    func.stack_limit = Some(limit);

    let mut validator = input
        .validator
        .into_validator(FuncValidatorAllocations::default());
    let mut bcx = FunctionBuilder::new(&mut func, fctx);
    let entry = bcx.create_block();
    bcx.append_block_params_for_function_params(entry);
    bcx.switch_to_block(entry);
    bcx.seal_block(entry);
    let vmctx = bcx.block_params(entry)[0];

    let mut locals = Vec::new();
    for (i, t) in ty.params.iter().enumerate() {
        let var = bcx.declare_var(clif_type(*t));
        let v = bcx.block_params(entry)[i + 1];
        bcx.def_var(var, v);
        locals.push((var, *t));
    }
    let mut reader = input.body.get_locals_reader().map_err(invalid)?;
    for _ in 0..reader.get_count() {
        let offset = reader.original_position();
        let (count, t) = reader.read().map_err(invalid)?;
        validator.define_locals(offset, count, t).map_err(invalid)?;
        let t = crate::environ::val_type(t);
        for _ in 0..count {
            let var = bcx.declare_var(clif_type(t));
            let zero = zero_value(&mut bcx, t);
            bcx.def_var(var, zero);
            locals.push((var, t));
        }
    }

    let heaps = heap::declare_heaps(&mut bcx, vmctx, m.info);

    let exit = bcx.create_block();
    for t in &ty.results {
        bcx.append_block_param(exit, clif_type(*t));
    }
    let mut cx = FuncCx {
        m,
        bcx,
        vmctx,
        heaps,
        locals,
        stack: Vec::new(),
        control: vec![Frame::function_body(exit, ty.results.len())],
        reachable: true,
        unreachable_depth: 0,
        builtin_refs: [None; Builtin::ALL.len()],
        legacy_tries: None,
        open_tries: 0,
        fuel: None,
        memory0: heap::Memory0Uses::default(),
    };

    let mut ops = wasmparser::OperatorsReader::new(reader.get_binary_reader());
    let body_start = u32::try_from(ops.original_position())
        .expect("translate_module refuses modules of 4 GiB or more");
    cx.bcx.set_srcloc(ir::SourceLoc::new(body_start));
    cx.interrupt_check();
    cx.fuel_entry();
    while !ops.eof() {
        let (op, offset) = ops.read_with_offset().map_err(invalid)?;
        validator.op(offset, &op).map_err(invalid)?;
        let srcloc =
            u32::try_from(offset).expect("translate_module refuses modules of 4 GiB or more");
        cx.bcx.set_srcloc(ir::SourceLoc::new(srcloc));
        if matches!(op, Operator::Try { .. }) && cx.legacy_tries.is_none() {
            cx.legacy_tries = Some(exceptions::scan_legacy_tries(&input.body)?);
        }
        cx.translate(&op, crate::environ::to_usize(offset))?;
    }
    ops.finish().map_err(invalid)?;

    let memory0 = std::mem::take(&mut cx.memory0);
    let heaps = std::mem::take(&mut cx.heaps);
    cx.bcx.finalize(m.frontend_config);
    heap::place_memory0(&mut func, &heaps, memory0);
    Ok(func)
}

fn zero_value(bcx: &mut FunctionBuilder<'_>, t: ValType) -> Value {
    match t {
        ValType::I32 => bcx.ins().iconst(types::I32, 0),
        ValType::I64
        | ValType::FuncRef
        | ValType::ExternRef
        | ValType::Ref(_)
        | ValType::ExnRef => bcx.ins().iconst(types::I64, 0),
        ValType::F32 => bcx.ins().f32const(0.0),
        ValType::F64 => bcx.ins().f64const(0.0),
        ValType::V128 => {
            let c = bcx.func.dfg.constants.insert(vec![0u8; 16].into());
            bcx.ins().vconst(types::I8X16, c)
        }
    }
}

/// The state of one function's translation.
pub(crate) struct FuncCx<'m, 'f> {
    m: &'m ModuleCtx<'m>,
    bcx: FunctionBuilder<'f>,
    vmctx: Value,
    /// Every linear memory's base and `VmMemory`, loaded once in the entry block.
    heaps: Vec<heap::Heap>,
    locals: Vec<(Variable, ValType)>,
    stack: Vec<Value>,
    control: Vec<Frame>,
    /// Whether the current position can be reached; when false, operators are skipped.
    reachable: bool,
    /// While unreachable: how many skipped blocks are open.
    unreachable_depth: u32,
    /// Each builtin's reference in this function, imported at its first call.
    builtin_refs: [Option<ir::FuncRef>; Builtin::ALL.len()],
    /// The clauses of every legacy `try`, scanned when the first one is met.
    legacy_tries: Option<std::collections::HashMap<usize, exceptions::TryClauses>>,
    /// How many `try_table`s and legacy `try`s are open: while none is, calls have no
    /// handlers and the control stack need not be searched for them.
    open_tries: usize,
    /// Fuel accounting, in a module compiled with `--fuel`.
    fuel: Option<fuel::Fuel>,
    /// The accesses to memory 0, for [`heap::place_memory0`].
    memory0: heap::Memory0Uses,
}

impl FuncCx<'_, '_> {
    fn pop(&mut self) -> Value {
        self.stack.pop().expect("validated operand stack")
    }

    fn pop2(&mut self) -> (Value, Value) {
        let b = self.pop();
        let a = self.pop();
        (a, b)
    }

    fn pop3(&mut self) -> (Value, Value, Value) {
        let c = self.pop();
        let (a, b) = self.pop2();
        (a, b, c)
    }

    fn push(&mut self, v: Value) {
        self.stack.push(v);
    }

    fn popn(&mut self, n: usize) -> Vec<Value> {
        let at = self.stack.len() - n;
        self.stack.split_off(at)
    }

    fn trap(&mut self, trap: Trap) {
        self.bcx.ins().trap(trap_code(trap));
    }

    fn trapnz(&mut self, cond: Value, trap: Trap) {
        self.bcx.ins().trapnz(cond, trap_code(trap));
    }

    fn trapz(&mut self, cond: Value, trap: Trap) {
        self.bcx.ins().trapz(cond, trap_code(trap));
    }

    /// Loads a pointer-sized runtime field at `offset` from `base`, never changing.
    fn load_readonly(&mut self, base: Value, offset: i32) -> Value {
        self.bcx.ins().load(types::I64, readonly(), base, offset)
    }

    /// The builtin's reference in this function, imported at the first use.
    fn builtin_ref(&mut self, builtin: Builtin) -> ir::FuncRef {
        match self.builtin_refs[builtin.index()] {
            Some(callee) => callee,
            None => {
                let (id, sig) = &self.m.builtins[builtin.index()];
                let callee = import_func(&mut self.bcx, *id, sig.clone(), false);
                self.builtin_refs[builtin.index()] = Some(callee);
                callee
            }
        }
    }

    /// Calls a runtime builtin with `(vmctx, args...)`; its results (none or one).
    fn call_builtin(&mut self, builtin: Builtin, args: &[Value]) -> Vec<Value> {
        let callee = self.builtin_ref(builtin);
        debug_assert!(
            args.len() == builtin.params().len()
                && args
                    .iter()
                    .zip(&self.m.builtins[builtin.index()].1.params[1..])
                    .all(|(a, p)| self.bcx.func.dfg.value_type(*a) == p.value_type),
            "arguments of {builtin:?} differ from its signature"
        );
        let mut all = Vec::with_capacity(args.len() + 1);
        all.push(self.vmctx);
        all.extend_from_slice(args);
        let call = self.bcx.ins().call(callee, &all);
        self.bcx.inst_results(call).to_vec()
    }

    fn translate(&mut self, op: &Operator<'_>, offset: usize) -> Result<(), CompileError> {
        if !self.reachable {
            return self.translate_unreachable(op);
        }
        self.fuel_before_op(op);
        self.translate_operator(op, offset)?;
        self.fuel_after_op(op);
        Ok(())
    }

    fn translate_operator(&mut self, op: &Operator<'_>, offset: usize) -> Result<(), CompileError> {
        if self.translate_control(op)? {
            return Ok(());
        }
        if self.translate_exceptions(op, offset)? {
            return Ok(());
        }
        if self.translate_numeric(op) {
            return Ok(());
        }
        if self.translate_memory(op) {
            return Ok(());
        }
        if self.translate_atomic(op) {
            return Ok(());
        }
        if self.translate_table_or_global(op) {
            return Ok(());
        }
        if self.translate_simd(op) {
            return Ok(());
        }
        Err(CompileError::Unsupported {
            feature: format!("the `{}` instruction", operator_name(op)),
            offset: Some(offset),
        })
    }
}

fn operator_name(op: &Operator<'_>) -> String {
    let s = format!("{op:?}");
    let name = s.split([' ', '{', '(']).next().unwrap_or(&s);
    // CamelCase -> the text format's dotted lower case is not derivable in general; the
    // debug name is close enough and unambiguous (e.g. `V128Load`).
    name.to_string()
}
