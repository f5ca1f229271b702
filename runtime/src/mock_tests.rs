//! Runtime tests without the compiler: a hand-assembled module (Lucet's mock-module habit)
//! exercising instantiation, calls, traps, backtraces and WASI shims.

use kiln_abi::descriptor::{
    AddrMapEntry, FuncEntry, FuncTableEncoder, ModuleDescriptor, TrapSite, MAGIC,
};
use kiln_abi::info::ValType::I32;
use kiln_abi::info::*;
use kiln_abi::Trap;

use crate::arch::test_code;
use crate::embed::{Instance, InstantiateError, Module, Unwind, Val};
use crate::wasi::WasiCtx;

/// The mock functions ([`test_code`]: this architecture's), in one executable page.
fn code_page() -> *const u8 {
    let code = test_code::page();
    // SAFETY: a fresh anonymous mapping, made executable after the copy; leaked.
    unsafe {
        let p = libc::mmap(
            std::ptr::null_mut(),
            code.len(),
            libc::PROT_READ | libc::PROT_WRITE,
            libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
            -1,
            0,
        );
        assert_ne!(p, libc::MAP_FAILED);
        std::ptr::copy_nonoverlapping(code.as_ptr(), p.cast(), code.len());
        libc::mprotect(p, code.len(), libc::PROT_READ | libc::PROT_EXEC);
        p.cast()
    }
}

fn leak<T>(v: Vec<T>) -> (*const T, usize) {
    let s = v.leak();
    (s.as_ptr(), s.len())
}

/// One function's compact trap sites and address map, as the compiler encodes them.
fn compact(sites: &[TrapSite], map: &[AddrMapEntry]) -> (Vec<u8>, Vec<u8>) {
    let mut t = FuncTableEncoder::new();
    t.push(0, false, sites, map, &[], &[]);
    let t = t.finish();
    (t.trap_sites, t.addr_map)
}

fn mock_module(start: Option<u32>, data: Vec<DataSegment>) -> Module {
    mock_module_at(start, data, None)
}

/// [`mock_module`] whose code, as the compiler's for an executable, expects memory 0 at
/// `memory0_base`.
fn mock_module_at(start: Option<u32>, data: Vec<DataSegment>, memory0_base: Option<u64>) -> Module {
    let empty = FuncType {
        params: vec![],
        results: vec![],
    };
    let ret_i32 = FuncType {
        params: vec![],
        results: vec![I32],
    };
    let export = |name: &str, index| Export {
        name: name.into(),
        kind: ExportKind::Func,
        index,
    };
    let info = ModuleInfo {
        types: vec![empty, ret_i32],
        funcs: vec![0, 1, 0, 0],
        memories: vec![MemoryType {
            limits: Limits {
                min: 1,
                max: Some(2),
            },
            memory64: false,
            shared: false,
        }],
        exports: vec![
            export("trap", 0),
            export("answer", 1),
            export("oob", 2),
            export("nested", 3),
            Export {
                name: "memory".into(),
                kind: ExportKind::Memory,
                index: 0,
            },
        ],
        start,
        data,
        memory0_base,
        name: Some("mock".into()),
        func_names: vec![(0, "boom".into()), (3, "outer".into())],
        ..ModuleInfo::default()
    };
    let code = code_page();
    let func = |f: test_code::Func, ts: (u32, u32), am: (u32, u32)| {
        // SAFETY: inside the code page.
        let c = unsafe { code.add(f.offset) };
        FuncEntry {
            code: c,
            trampoline: c,
            code_len: f.len,
            trap_sites_start: ts.0,
            trap_sites_len: ts.1,
            addr_map_start: am.0,
            addr_map_len: am.1,
            call_sites_start: 0,
            call_sites_len: 0,
            reserved: 0,
        }
    };
    let site = |code_offset, wasm_offset, trap: Trap| TrapSite {
        code_offset,
        wasm_offset,
        trap: trap as u8,
    };
    let entry = |wasm_offset| AddrMapEntry {
        code_offset: 0,
        wasm_offset,
        inlined: None,
    };
    let trap_site = site(test_code::TRAP.trap_at.unwrap(), 0x10, Trap::Unreachable);
    let load_site = site(
        test_code::LOAD_0X20000.trap_at.unwrap(),
        0x20,
        Trap::MemoryOutOfBounds,
    );
    let (trap_sites, trap_map) = compact(&[trap_site], &[entry(0x10)]);
    let (load_sites, _) = compact(&[load_site], &[]);
    let (_, call_map) = compact(&[], &[entry(0x30)]);
    let n = |v: &Vec<u8>| u32::try_from(v.len()).unwrap();
    let funcs = vec![
        func(test_code::TRAP, (0, 1), (0, 1)),
        func(test_code::ANSWER, (n(&trap_sites), 0), (n(&trap_map), 0)),
        func(
            test_code::LOAD_0X20000,
            (n(&trap_sites), 1),
            (n(&trap_map), 0),
        ),
        func(test_code::CALL_TRAP, (0, 0), (n(&trap_map), 1)),
    ];
    let sites = [trap_sites, load_sites].concat();
    let map = [trap_map, call_map].concat();
    let (info_p, info_n) = leak(info.encode());
    let (segments_p, segments_n) = leak(info.encode_segments());
    let (names_p, names_n) = leak(info.encode_names());
    let (data_p, data_n) = leak(b"hello, world".to_vec());
    let (funcs_p, funcs_n) = leak(funcs);
    let (sites_p, sites_n) = leak(sites);
    let (map_p, map_n) = leak(map);
    let desc = Box::leak(Box::new(ModuleDescriptor {
        magic: MAGIC,
        info: info_p,
        info_len: info_n,
        segments: segments_p,
        segments_len: segments_n,
        names: names_p,
        names_len: names_n,
        data: data_p,
        data_len: data_n,
        funcs: funcs_p,
        num_funcs: funcs_n,
        trap_sites: sites_p,
        trap_sites_len: sites_n,
        addr_map: map_p,
        addr_map_len: map_n,
        call_sites: std::ptr::null(),
        num_call_sites: 0,
        handlers: std::ptr::null(),
        num_handlers: 0,
        config: std::ptr::null(),
        config_len: 0,
        image: std::ptr::null(),
        image_len: 0,
        image_offset: 0,
        import_adapters: std::ptr::null(),
        num_import_adapters: 0,
    }));
    // SAFETY: everything above is leaked and the code page stays mapped.
    unsafe { Module::from_descriptor(desc) }.unwrap()
}

#[test]
fn calls_and_traps() {
    let m = mock_module(None, vec![]);
    let i = Instance::new(&m, &[]).ok().unwrap();
    assert_eq!(i.call("answer", &[]).unwrap(), vec![Val::I32(42)]);
    assert!(matches!(
        i.call("answer", &[Val::I32(1)]),
        Err(Unwind::Error(_))
    ));
    match i.call("nested", &[]) {
        Err(Unwind::Trap { trap, message }) => {
            assert_eq!(trap, Trap::Unreachable);
            assert_eq!(
                message,
                "wasm trap: wasm `unreachable` instruction executed\nwasm backtrace:\n    \
                 0:   0x10 - mock!boom\n    1:   0x30 - mock!outer\n"
            );
        }
        other => panic!("{other:?}"),
    }
    match i.call("oob", &[]) {
        Err(Unwind::Trap { trap, message }) => {
            assert_eq!(trap, Trap::MemoryOutOfBounds);
            assert!(
                message.contains("    0:   0x20 - mock!<wasm function 2>\n"),
                "{message}"
            );
        }
        other => panic!("{other:?}"),
    }
    // The instance still works after traps.
    assert_eq!(i.call("answer", &[]).unwrap(), vec![Val::I32(42)]);
}

#[test]
fn memory_0_at_a_fixed_address_is_there_once_per_process() {
    // The executables' address: the kernel places nothing there by itself, and no other
    // test of this process asks for it.
    let free = kiln_abi::memory::FIXED_MEMORY0_BASE;
    let m = mock_module_at(None, vec![], Some(free));
    let first = Instance::new(&m, &[]).ok().unwrap();
    assert_eq!(first.call("answer", &[]).unwrap(), vec![Val::I32(42)]);
    let Some(crate::embed::Extern::Memory(mem)) = first.export("memory") else {
        panic!("memory 0 is exported");
    };
    assert_eq!(mem.data_ptr() as u64, free);
    // A second instance cannot have its memory there: a clear error, not a wrong memory.
    match Instance::new(&m, &[]) {
        Err(InstantiateError::Other(e)) => assert!(
            e.starts_with(&format!(
                "cannot reserve linear memory 0 at {free:#x}, where the compiled code expects it"
            )) && e.contains("File exists"),
            "{e}"
        ),
        Err(e) => panic!("{e}"),
        Ok(_) => panic!("two instances with memory 0 at {free:#x}"),
    }
    // Once the first is gone, the address is free again.
    drop((mem, first));
    assert!(Instance::new(&m, &[]).is_ok());
}

#[test]
fn start_function_trap_and_data_segments() {
    let seg = |at: i32, start, len| DataSegment {
        mode: SegmentMode::Active {
            index: 0,
            offset: ConstExpr::I32(at),
        },
        start,
        len,
    };
    let m = mock_module(Some(0), vec![]);
    assert!(matches!(
        Instance::new(&m, &[]),
        Err(InstantiateError::Trap(Trap::Unreachable))
    ));
    let m = mock_module(None, vec![seg(100, 0, 5), seg(65530, 0, 12)]);
    assert!(matches!(
        Instance::new(&m, &[]),
        Err(InstantiateError::Trap(Trap::MemoryOutOfBounds))
    ));
    let m = mock_module(None, vec![seg(100, 7, 5)]);
    let i = Instance::new(&m, &[]).ok().unwrap();
    let Some(crate::embed::Extern::Memory(mem)) = i.export("memory") else {
        panic!()
    };
    // SAFETY: reading 5 bytes of a 1-page memory.
    let bytes = unsafe { std::slice::from_raw_parts(mem.data_ptr().add(100), 5) };
    assert_eq!(bytes, b"world");
}

#[test]
fn wasi_pointer_checks() {
    let m = mock_module(None, vec![]);
    let mut cx = WasiCtx::new();
    cx.arg("prog").arg("x");
    let i = Instance::new_wasi(&m, cx).ok().unwrap();
    let vmctx = i.vmctx();
    let Some(crate::embed::Extern::Memory(mem)) = i.export("memory") else {
        panic!()
    };
    let base = mem.data_ptr();
    use crate::wasi::{args_env, errno, fd};
    assert_eq!(args_env::args_sizes_get(vmctx, 0, 4), 0);
    // SAFETY: reading inside the memory.
    unsafe {
        assert_eq!(*base.cast::<u32>(), 2);
        assert_eq!(*base.add(4).cast::<u32>(), 7);
    }
    assert_eq!(
        args_env::args_sizes_get(vmctx, 65534, 4),
        u32::from(errno::FAULT)
    );
    assert_eq!(
        args_env::args_sizes_get(vmctx, 2, 4),
        u32::from(errno::INVAL)
    );
    assert_eq!(
        args_env::args_get(vmctx, 16, 65532),
        u32::from(errno::FAULT)
    );
    assert_eq!(args_env::args_get(vmctx, 16, 32), 0);
    // SAFETY: as above.
    unsafe {
        assert_eq!(std::slice::from_raw_parts(base.add(32), 7), b"prog\0x\0");
        assert_eq!(*base.add(20).cast::<u32>(), 37);
    }
    // iovec pointing past the end: EFAULT before anything is written.
    // SAFETY: writing an iovec inside the memory.
    unsafe {
        *base.add(64).cast::<u32>() = 65530;
        *base.add(68).cast::<u32>() = 10;
    }
    assert_eq!(fd::fd_write(vmctx, 1, 64, 1, 72), u32::from(errno::FAULT));
    assert_eq!(fd::fd_write(vmctx, 9, 64, 1, 72), u32::from(errno::BADF));
    assert_eq!(fd::fd_prestat_get(vmctx, 1, 80), u32::from(errno::BADF));
}
