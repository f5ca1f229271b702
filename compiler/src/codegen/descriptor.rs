//! Phase 5, place: the compiled code goes into the object, and the module descriptor
//! (`kiln_module`) with the sections it points to is written beside it. The records are
//! encoded by `kiln_abi::descriptor`'s encoders; this phase only turns their pointer fields
//! into relocations.

use cranelift_module::{DataDescription, DataId, FuncId, Linkage, Module};
use cranelift_object::ObjectModule;
use kiln_abi::descriptor::{
    encode_import_adapters, DescriptorEncoder, Encoded, FuncPointer, FuncTableEncoder, Section,
    RECORD_ALIGN,
};
use kiln_abi::info::{ModuleInfo, RunConfig, SegmentMode};
use kiln_abi::symbols;

use super::compile::CompiledFunc;
use super::declare::Declarations;
use super::internal;
use crate::image::Image;
use crate::CompileError;

/// Defines every compiled function, trampoline and import adapter in the object's text.
pub(super) fn place_code(
    module: &mut ObjectModule,
    funcs: &[CompiledFunc],
    trampolines: &[CompiledFunc],
) -> Result<(), CompileError> {
    for f in funcs.iter().chain(trampolines) {
        module
            .define_function_bytes(f.id, f.alignment, &f.bytes, &f.relocs)
            .map_err(internal)?;
    }
    Ok(())
}

/// What the descriptor describes besides the code.
pub(super) struct DescriptorInputs {
    pub info: ModuleInfo,
    /// The bytes of every data segment, back to back.
    pub data: Vec<u8>,
    pub config: RunConfig,
    pub image: Option<Image>,
}

/// Writes the descriptor and its sections. `funcs` are the compiled defined functions, in
/// function index order.
pub(super) fn write_descriptor(
    module: &mut ObjectModule,
    decls: &Declarations,
    funcs: &[CompiledFunc],
    inputs: DescriptorInputs,
) -> Result<(), CompileError> {
    let DescriptorInputs {
        mut info,
        mut data,
        config,
        image,
    } = inputs;
    // Active segments folded into the image need no bytes of their own at run time.
    if image.is_some() {
        data = strip_active_segments(&mut info, &data);
        // After instantiation an active segment is dropped: empty, as a segment the
        // runtime does not know. With no passive segment, none needs describing, and the
        // runtime decodes nothing however many segments the module has.
        if info
            .data
            .iter()
            .all(|s| matches!(s.mode, SegmentMode::Active { .. }))
        {
            info.data.clear();
        }
    }
    let nimp = info.num_imported_funcs;
    let mut table = FuncTableEncoder::new();
    for (def, f) in funcs.iter().enumerate() {
        let def = u32::try_from(def).expect("wasm function indices are u32");
        let has_trampoline = decls.trampoline(nimp + def).is_some();
        let len = u32::try_from(f.bytes.len()).expect("Cranelift code offsets are u32");
        table.push(
            len,
            has_trampoline,
            &f.traps,
            &f.addr_map,
            &f.call_sites,
            &f.handlers,
        );
    }
    let table = table.finish();

    let mut lengths = DescriptorEncoder {
        info_len: 0,
        segments_len: 0,
        names_len: 0,
        data_len: data.len(),
        num_funcs: table.num_funcs,
        trap_sites_len: table.trap_sites.len(),
        addr_map_len: table.addr_map.len(),
        num_call_sites: table.num_call_sites,
        num_handlers: table.num_handlers,
        config_len: 0,
        image: None,
        num_import_adapters: decls.import_adapters.len(),
    };
    let segments = info.encode_segments();
    lengths.segments_len = segments.len();
    let names = info.encode_names();
    lengths.names_len = names.len();
    let info = info.encode();
    lengths.info_len = info.len();
    let config = config.encode();
    lengths.config_len = config.len();
    let align = RECORD_ALIGN;
    let info_id = define_blob(module, "kiln_info", info, align)?;
    let segments_id = define_blob(module, "kiln_segments", segments, align)?;
    let names_id = define_blob(module, "kiln_names", names, align)?;
    let data_id = define_blob(module, "kiln_data", data, 16)?;
    let trap_id = define_blob(module, "kiln_trap_sites", table.trap_sites, align)?;
    let addr_id = define_blob(module, "kiln_addr_map", table.addr_map, align)?;
    let call_sites_id = define_blob(module, "kiln_call_sites", table.call_sites, align)?;
    let handlers_id = define_blob(module, "kiln_handlers", table.handlers, align)?;
    let config_id = define_blob(module, "kiln_config", config, align)?;
    let image_id = match image {
        Some(image) => {
            lengths.image = Some((image.bytes.len(), image.offset));
            let id = define_blob(module, "kiln_memory_image", image.bytes, image.align)?;
            Some(id)
        }
        None => None,
    };
    let funcs_id = define_records(module, "kiln_funcs", Linkage::Local, table.funcs, |p| {
        let id = match p {
            FuncPointer::Code(def) => decls.funcs[(nimp + def) as usize],
            FuncPointer::Trampoline(def) => decls.trampoline(nimp + def),
        };
        Target::Func(id.expect("declared"))
    })?;
    let adapters = encode_import_adapters(nimp);
    let adapters_id = define_records(
        module,
        "kiln_import_adapters",
        Linkage::Local,
        adapters,
        |i| Target::Func(decls.import_adapters[i as usize]),
    )?;
    define_records(
        module,
        symbols::MODULE_DESCRIPTOR,
        Linkage::Export,
        lengths.encode(),
        |section| {
            Target::Data(match section {
                Section::Info => info_id,
                Section::Segments => segments_id,
                Section::Names => names_id,
                Section::Data => data_id,
                Section::Funcs => funcs_id,
                Section::TrapSites => trap_id,
                Section::AddrMap => addr_id,
                Section::CallSites => call_sites_id,
                Section::Handlers => handlers_id,
                Section::Config => config_id,
                Section::Image => image_id.expect("an image pointer only with an image"),
                Section::ImportAdapters => adapters_id,
            })
        },
    )?;
    Ok(())
}

/// What a pointer field is relocated to.
enum Target {
    Func(FuncId),
    Data(DataId),
}

/// Defines encoded records as data object `name`, with a relocation for each pointer
/// field (`target` says to what).
fn define_records<T: Copy>(
    module: &mut ObjectModule,
    name: &str,
    linkage: Linkage,
    records: Encoded<T>,
    target: impl Fn(T) -> Target,
) -> Result<DataId, CompileError> {
    let id = module
        .declare_data(name, linkage, false, false)
        .map_err(internal)?;
    let mut desc = DataDescription::new();
    for p in &records.pointers {
        match target(p.target) {
            Target::Func(f) => {
                let r = module.declare_func_in_data(f, &mut desc);
                desc.write_function_addr(p.offset, r);
            }
            Target::Data(d) => {
                let gv = module.declare_data_in_data(d, &mut desc);
                desc.write_data_addr(p.offset, gv, 0);
            }
        }
    }
    desc.define(records.bytes.into_boxed_slice());
    desc.set_align(RECORD_ALIGN);
    module.define_data(id, &desc).map_err(internal)?;
    Ok(id)
}

/// Defines `bytes` as the local data object `name`.
fn define_blob(
    module: &mut ObjectModule,
    name: &str,
    bytes: Vec<u8>,
    align: u64,
) -> Result<DataId, CompileError> {
    let id = module
        .declare_data(name, Linkage::Local, false, false)
        .map_err(internal)?;
    let mut desc = DataDescription::new();
    desc.define(bytes.into_boxed_slice());
    desc.set_align(align);
    module.define_data(id, &desc).map_err(internal)?;
    Ok(id)
}

/// The data blob without the bytes of active segments, which are all in the memory image
/// (active segments are dropped at instantiation, so their bytes are never read again).
fn strip_active_segments(info: &mut ModuleInfo, data: &[u8]) -> Vec<u8> {
    let mut kept = Vec::new();
    for seg in &mut info.data {
        if matches!(seg.mode, SegmentMode::Active { .. }) {
            seg.start = 0;
            seg.len = 0;
        } else {
            let bytes = &data[seg.start as usize..(seg.start + seg.len) as usize];
            seg.start = u32::try_from(kept.len())
                .expect("the kept segments are a subset of data the module's u32 offsets address");
            kept.extend_from_slice(bytes);
        }
    }
    kept
}
