//! Canonical function type ids, shared by every module in the process so that
//! `call_indirect` compares types across instances with one integer comparison.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, DefaultHasher};
use std::sync::{Mutex, OnceLock};

use kiln_abi::info::{FuncType, HeapType, RefType, ValType};

/// Fixed hash keys: the types come from modules the process itself was compiled with (or
/// its embedder loads), not from an adversary choosing collisions, and `RandomState` would
/// cost every start-up a `getrandom` system call.
type Types = HashMap<FuncType, u32, BuildHasherDefault<DefaultHasher>>;

fn table() -> &'static Mutex<Types> {
    static TABLE: OnceLock<Mutex<Types>> = OnceLock::new();
    TABLE.get_or_init(|| Mutex::new(Types::default()))
}

/// The process-wide id of `ty`: equal types get equal ids. Ids start at 1 (0 is never used,
/// so a zeroed funcref can never match a signature).
pub(crate) fn intern(ty: &FuncType) -> u32 {
    let mut t = table().lock().unwrap_or_else(|e| e.into_inner());
    if let Some(&id) = t.get(ty) {
        return id;
    }
    let id = u32::try_from(t.len() + 1).expect("fewer than 2^32 distinct function types");
    t.insert(ty.clone(), id);
    id
}

/// `t` with every module type index replaced by its canonical id (`type_ids`: the
/// module's, by type index), so that types of different modules compare equal when they
/// are the same type.
pub(crate) fn canonical_val(t: ValType, type_ids: &[u32]) -> ValType {
    match t {
        ValType::Ref(RefType {
            nullable,
            heap: HeapType::Type(i),
        }) => ValType::Ref(RefType {
            nullable,
            heap: HeapType::Canonical(type_ids[i as usize]),
        }),
        t => t,
    }
}

/// [`canonical_val`] of every parameter and result.
pub(crate) fn canonical_func(ty: &FuncType, type_ids: &[u32]) -> FuncType {
    FuncType {
        params: ty
            .params
            .iter()
            .map(|t| canonical_val(*t, type_ids))
            .collect(),
        results: ty
            .results
            .iter()
            .map(|t| canonical_val(*t, type_ids))
            .collect(),
    }
}

/// The canonical ids of a module's types, in order. Without GC a type refers only to
/// types before it, so each is interned after those it names.
pub(crate) fn intern_module_types(types: &[FuncType]) -> Box<[u32]> {
    let mut ids = Vec::with_capacity(types.len());
    for ty in types {
        let id = intern(&canonical_func(ty, &ids));
        ids.push(id);
    }
    ids.into_boxed_slice()
}

#[cfg(test)]
mod tests {
    use super::*;
    use kiln_abi::info::ValType::*;

    #[test]
    fn equal_types_share_ids() {
        let a = FuncType {
            params: vec![I32, I64],
            results: vec![F32],
        };
        let b = FuncType {
            params: vec![I32, I64],
            results: vec![F32],
        };
        let c = FuncType {
            params: vec![I32],
            results: vec![I64, F32],
        };
        assert_eq!(intern(&a), intern(&b));
        assert_ne!(intern(&a), intern(&c));
        assert_ne!(intern(&a), 0);
    }

    /// `(func (param (ref null $t)))` is neither `(func (param funcref))` nor the same
    /// with another `$t`; two modules' copies of one type are the same.
    #[test]
    fn typed_references_take_part_in_type_identity() {
        use kiln_abi::info::{HeapType, RefType};
        let r = |i| {
            Ref(RefType {
                nullable: true,
                heap: HeapType::Type(i),
            })
        };
        let f = |p| FuncType {
            params: vec![p],
            results: vec![],
        };
        let empty = FuncType {
            params: vec![],
            results: vec![],
        };
        let one = FuncType {
            params: vec![I32],
            results: vec![],
        };
        let m1 = intern_module_types(&[empty.clone(), one.clone(), f(r(0)), f(FuncRef), f(r(1))]);
        assert_ne!(m1[2], m1[3]);
        assert_ne!(m1[2], m1[4]);
        // The same types in another order.
        let m2 = intern_module_types(&[one, empty, f(r(1)), f(r(0))]);
        assert_eq!(m2[2], m1[2]);
        assert_eq!(m2[3], m1[4]);
    }
}
