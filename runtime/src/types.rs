//! Canonical function type ids, shared by every module in the process so that
//! `call_indirect` compares types across instances with one integer comparison.

use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};

use kiln_abi::info::FuncType;

fn table() -> &'static Mutex<HashMap<FuncType, u32>> {
    static TABLE: OnceLock<Mutex<HashMap<FuncType, u32>>> = OnceLock::new();
    TABLE.get_or_init(|| Mutex::new(HashMap::new()))
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
}
