//! Phase 4, trampolines: the code between the two calling conventions. Wasm functions use
//! Cranelift's `tail` convention; the runtime and host functions the platform's C one.
//!
//! - The array-call entry `extern "C" fn(vmctx, values: *mut ValRaw)` of each export and
//!   of the start function, through which the runtime and test harnesses call a function
//!   with arbitrary arguments; it calls the `tail` body.
//! - The import adapter of each imported function: a `tail` function of the import's type
//!   that calls the host function the runtime stored in `vmctx.imported_funcs[i].host_code`
//!   with the C convention. The runtime binds it when the import is a host function.

use cranelift_codegen::ir::{
    types, AbiParam, Function, InstBuilder, MemFlagsData, Signature, UserFuncName,
};
use cranelift_frontend::{FunctionBuilder, FunctionBuilderContext};
use cranelift_module::FuncId;

use kiln_abi::vmctx;

use crate::translate::{self, clif_type, func_name, ModuleCtx};

/// Reads the arguments from `values`, calls function `index` (Cranelift id `callee`)
/// directly and writes its results back to `values`. `id` is the trampoline's own id.
pub(super) fn build_trampoline(
    m: &ModuleCtx<'_>,
    index: u32,
    callee: FuncId,
    id: FuncId,
) -> Function {
    let ty = &m.info.types[m.info.funcs[index as usize] as usize];
    let mut sig = Signature::new(m.host_call_conv);
    sig.params.push(AbiParam::new(types::I64));
    sig.params.push(AbiParam::new(types::I64));
    let mut func = Function::with_name_signature(UserFuncName::User(func_name(id)), sig);
    let mut fctx = FunctionBuilderContext::new();
    let mut bcx = FunctionBuilder::new(&mut func, &mut fctx);
    let block = bcx.create_block();
    bcx.append_block_params_for_function_params(block);
    bcx.switch_to_block(block);
    bcx.seal_block(block);
    let (vmctx, values) = (bcx.block_params(block)[0], bcx.block_params(block)[1]);
    let flags = MemFlagsData::trusted();
    let mut args = vec![vmctx];
    for (i, t) in ty.params.iter().enumerate() {
        args.push(bcx.ins().load(clif_type(*t), flags, values, slot_offset(i)));
    }
    let callee = translate::import_func(&mut bcx, callee, m.signature(ty), true);
    let call = bcx.ins().call(callee, &args);
    let results = bcx.inst_results(call).to_vec();
    for (i, r) in results.into_iter().enumerate() {
        bcx.ins().store(flags, r, values, slot_offset(i));
    }
    bcx.ins().return_(&[]);
    bcx.finalize(m.frontend_config);
    func
}

/// The host adapter of imported function `index` (Cranelift id `id`): receives the
/// importing instance's vmctx and the arguments with the `tail` convention, and passes
/// them on to the host code in `vmctx.imported_funcs[index].host_code` with the C one.
pub(super) fn build_import_adapter(m: &ModuleCtx<'_>, index: u32, id: FuncId) -> Function {
    let ty = &m.info.types[m.info.funcs[index as usize] as usize];
    let mut func =
        Function::with_name_signature(UserFuncName::User(func_name(id)), m.signature(ty));
    let mut fctx = FunctionBuilderContext::new();
    let mut bcx = FunctionBuilder::new(&mut func, &mut fctx);
    let block = bcx.create_block();
    bcx.append_block_params_for_function_params(block);
    bcx.switch_to_block(block);
    bcx.seal_block(block);
    let args = bcx.block_params(block).to_vec();
    let readonly = MemFlagsData::trusted().with_readonly();
    let imports = bcx
        .ins()
        .load(types::I64, readonly, args[0], vmctx::OFFSET_IMPORTED_FUNCS);
    let off = i32::try_from(index).expect("few imports") * vmctx::VMIMPORTEDFUNC_SIZE;
    let host = bcx.ins().load(
        types::I64,
        readonly,
        imports,
        off + vmctx::OFFSET_VMIMPORTEDFUNC_HOST_CODE,
    );
    let host_sig = bcx.import_signature(translate::wasm_signature(ty, m.host_call_conv));
    let call = bcx.ins().call_indirect(host_sig, host, &args);
    let results = bcx.inst_results(call).to_vec();
    bcx.ins().return_(&results);
    bcx.finalize(m.frontend_config);
    func
}

/// The byte offset of value `i` in the `values` array (16 bytes a value, room for a v128).
fn slot_offset(i: usize) -> i32 {
    i32::try_from(i * 16).expect("wasm limits a function to far fewer than 2^27 params/results")
}
