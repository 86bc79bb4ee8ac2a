//! Split BTF: the base's types are canonical by definition and immutable;
//! they only serve as candidates for the split's types.

use super::shape::{
    hash_array, hash_common, hash_enum, hash_func_proto, hash_int_tag, hash_struct, hash_typedef,
};
use super::state::State;
use crate::{Kind, TypeId};

impl State {
    /// Maps every base type to itself and enters it in the candidate table
    /// under its kind's hash. VAR and DATASEC are never candidates.
    pub(super) fn prepare_base(&mut self) {
        for i in 1..self.start {
            let id = TypeId(i);
            self.set_canon(id, id);
            if let Some(h) = self.table_key(id) {
                self.table.add(h, id);
            }
        }
    }

    /// The key `id` has in the candidate table, the same for every pass
    /// that enters a type there; `None` for kinds that are never
    /// candidates.
    pub(super) fn table_key(&self, id: TypeId) -> Option<u64> {
        let t = self.ty(id);
        Some(match t.kind() {
            Kind::Var | Kind::Datasec | Kind::Unknown(_) => return None,
            Kind::Const
            | Kind::Volatile
            | Kind::Restrict
            | Kind::Ptr
            | Kind::Fwd
            | Kind::Func
            | Kind::Float
            | Kind::TypeTag => hash_common(t),
            Kind::Typedef => self.with_sig(hash_typedef(t), id),
            Kind::Int | Kind::DeclTag => hash_int_tag(t),
            Kind::Enum | Kind::Enum64 => hash_enum(t),
            Kind::Struct | Kind::Union => self.with_sig(hash_struct(t), id),
            Kind::Array => hash_array(t),
            Kind::FuncProto => hash_func_proto(t),
        })
    }

    /// Re-enters every candidate under its current key (after signatures
    /// were switched off), keeping each chain's order.
    pub(super) fn rekey_table(&mut self) {
        let ids = self.table.ids();
        self.table.clear();
        for id in ids {
            if let Some(h) = self.table_key(id) {
                self.table.add(h, id);
            }
        }
    }
}
