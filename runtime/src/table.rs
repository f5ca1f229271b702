//! Tables of references. Elements are 8 bytes (see `kiln_abi::vmctx::VmTable`).
//!
//! References do not own what they point to: a table keeps alive the instances whose
//! functions the runtime wrote into it ([`WasmTable::keep_alive`]).

use std::any::Any;
use std::cell::{RefCell, UnsafeCell};
use std::rc::Rc;

use kiln_abi::info::TableType;
use kiln_abi::vmctx::VmTable;

/// The most elements a table may have when it declares no maximum (wasmtime's limit).
pub const MAX_TABLE_ELEMS: u64 = 10_000_000;

/// One table. `vm` comes first so a `*mut VmTable` from a vmctx casts back to the table.
#[repr(C)]
pub struct WasmTable {
    vm: UnsafeCell<VmTable>,
    elems: UnsafeCell<Vec<u64>>,
    pub ty: TableType,
    /// The most elements it may reach: its declared maximum, [`MAX_TABLE_ELEMS`] and the
    /// `--max-table-elements` limit, whichever is smallest.
    max: u64,
    keep: RefCell<Vec<Rc<dyn Any>>>,
}

impl WasmTable {
    pub fn new(ty: TableType, init: u64) -> Result<WasmTable, String> {
        WasmTable::with_limit(ty, init, None)
    }

    /// As [`WasmTable::new`], never growing past `limit` elements (`--max-table-elements`;
    /// a larger minimum is an error).
    pub fn with_limit(ty: TableType, init: u64, limit: Option<u64>) -> Result<WasmTable, String> {
        if ty.limits.min > MAX_TABLE_ELEMS {
            return Err(format!(
                "table minimum of {} elements is too large",
                ty.limits.min
            ));
        }
        if let Some(limit) = limit.filter(|&l| ty.limits.min > l) {
            return Err(format!(
                "table minimum of {} elements is more than the limit of {limit} \
                 (--max-table-elements)",
                ty.limits.min
            ));
        }
        let max = ty
            .limits
            .max
            .unwrap_or(MAX_TABLE_ELEMS)
            .min(MAX_TABLE_ELEMS)
            .min(limit.unwrap_or(u64::MAX));
        let n = usize::try_from(ty.limits.min).expect("checked above");
        let mut elems = vec![init; n];
        let vm = VmTable {
            base: elems.as_mut_ptr(),
            length: u32::try_from(n).expect("checked above"),
            reserved: 0,
        };
        Ok(WasmTable {
            vm: UnsafeCell::new(vm),
            elems: UnsafeCell::new(elems),
            ty,
            max,
            keep: RefCell::new(Vec::new()),
        })
    }

    pub fn vm_ptr(&self) -> *mut VmTable {
        self.vm.get()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn len(&self) -> u32 {
        // SAFETY: compiled code writes elements, never the header; growth is ours.
        unsafe { (*self.vm.get()).length }
    }

    /// The elements. Callers must not keep the slice across a call into wasm.
    #[allow(
        clippy::mut_from_ref,
        reason = "tables are shared mutable state by design"
    )]
    pub fn elems(&self) -> &mut [u64] {
        // SAFETY: single-threaded; compiled code accesses the same buffer only while no
        // runtime code holds this slice.
        unsafe { (*self.elems.get()).as_mut_slice() }
    }

    pub fn get(&self, i: u32) -> Option<u64> {
        self.elems().get(usize::try_from(i).ok()?).copied()
    }

    pub fn set(&self, i: u32, v: u64) -> bool {
        match self.elems().get_mut(i as usize) {
            Some(slot) => {
                *slot = v;
                true
            }
            None => false,
        }
    }

    /// Grows by `delta` elements set to `init`; the old length, or `None`.
    pub fn grow(&self, delta: u32, init: u64) -> Option<u32> {
        let old = self.len();
        let new = u64::from(old) + u64::from(delta);
        if new > self.max {
            return None;
        }
        let new = u32::try_from(new).expect("at most MAX_TABLE_ELEMS");
        // SAFETY: as in `elems`; the header is updated with the (possibly moved) buffer.
        unsafe {
            let v = &mut *self.elems.get();
            v.try_reserve(delta as usize).ok()?;
            v.resize(new as usize, init);
            let vm = &mut *self.vm.get();
            vm.base = v.as_mut_ptr();
            vm.length = new;
        }
        Some(old)
    }

    /// Keeps `owner` alive as long as this table (an instance whose functions are in it).
    pub fn keep_alive(&self, owner: &Rc<dyn Any>) {
        let mut keep = self.keep.borrow_mut();
        if !keep.iter().any(|k| Rc::ptr_eq(k, owner)) {
            keep.push(owner.clone());
        }
    }

    /// Keeps alive everything `other` keeps alive (after copying elements from it).
    pub fn keep_alive_from(&self, other: &WasmTable) {
        if std::ptr::eq(self, other) {
            return;
        }
        let theirs: Vec<_> = other.keep.borrow().clone();
        for k in &theirs {
            self.keep_alive(k);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kiln_abi::info::{Limits, ValType};

    #[test]
    fn grow_respects_max_and_moves_base() {
        let t = WasmTable::new(
            TableType {
                elem: ValType::ExternRef,
                limits: Limits {
                    min: 2,
                    max: Some(100),
                },
                table64: false,
            },
            5,
        )
        .unwrap();
        assert_eq!(t.len(), 2);
        assert_eq!(t.grow(10, 9), Some(2));
        assert_eq!(t.len(), 12);
        assert_eq!(t.get(1), Some(5));
        assert_eq!(t.get(11), Some(9));
        assert_eq!(t.get(12), None);
        // SAFETY: reading our own header.
        let vm = unsafe { &*t.vm_ptr() };
        assert_eq!(vm.length, 12);
        assert_eq!(vm.base, t.elems().as_mut_ptr());
        assert_eq!(t.grow(89, 0), None);
        assert_eq!(t.grow(88, 0), Some(12));
    }
}
