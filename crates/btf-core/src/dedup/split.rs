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
            let t = self.ty(id);
            let h = match t.kind() {
                Kind::Var | Kind::Datasec | Kind::Unknown(_) => continue,
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
            };
            self.table.add(h, id);
        }
    }
}
