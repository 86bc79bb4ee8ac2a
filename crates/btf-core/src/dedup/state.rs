//! The dedup state: every type (base and own) in one id-indexed arena, the
//! canonical map, the hypothetical map of one graph comparison, and the
//! candidate table.

use super::shape::for_each_ref;
use super::table::Table;
use crate::write::{Body, OwnedType};
use crate::{Btf, Error, Kind, Result, StrOffset, TypeId};

/// Where a type stands in the canonical map.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Canon {
    /// Not looked at yet.
    Unprocessed,
    /// On the reference pass's stack: meeting it again is a loop.
    InProgress,
    /// Decided: this type's representative, or a step towards it (follow
    /// with [`State::resolve`]). A type mapped to itself is canonical.
    Id(TypeId),
}

/// The hypothetical canonical → candidate mapping built by one graph
/// equivalence check, and which entries it touched so clearing is cheap.
#[derive(Debug)]
pub(super) struct Hypot {
    map: Vec<Option<TypeId>>,
    touched: Vec<TypeId>,
    /// The check matched a FWD in the (immutable) base to a concrete
    /// struct or union: the graphs are only equivalent if the base changed.
    pub(super) adjust_canon: bool,
}

impl Hypot {
    fn new(len: usize) -> Hypot {
        Hypot {
            map: vec![None; len],
            touched: Vec::new(),
            adjust_canon: false,
        }
    }

    pub(super) fn get(&self, canon: TypeId) -> Option<TypeId> {
        self.map[canon.0 as usize]
    }

    pub(super) fn set(&mut self, canon: TypeId, cand: TypeId) {
        self.map[canon.0 as usize] = Some(cand);
        self.touched.push(canon);
    }

    pub(super) fn clear(&mut self) {
        for c in self.touched.drain(..) {
            self.map[c.0 as usize] = None;
        }
        self.adjust_canon = false;
    }

    /// Number of recorded pairs.
    pub(super) fn len(&self) -> usize {
        self.touched.len()
    }

    /// The `i`-th recorded (canonical, candidate) pair.
    pub(super) fn pair(&self, i: usize) -> (TypeId, TypeId) {
        let canon = self.touched[i];
        let cand = self.map[canon.0 as usize].unwrap_or(TypeId::VOID);
        (canon, cand)
    }
}

/// Everything the passes share.
#[derive(Debug)]
pub(super) struct State {
    /// Every type by id: `types[0]` stands for `void`, then the base's types
    /// (split BTF), then the types being deduplicated.
    pub(super) types: Vec<OwnedType>,
    /// First id being deduplicated; lower ids are the immutable base.
    pub(super) start: u32,
    pub(super) map: Vec<Canon>,
    pub(super) hypot: Hypot,
    pub(super) table: Table,
    /// The equivalence walk's stack, kept to reuse its allocation.
    pub(super) equiv_stack: Vec<(TypeId, TypeId)>,
    /// Member signatures of structs, unions and typedefs (`signature.rs`);
    /// empty when not computed, which makes every signature 0.
    pub(super) sigs: Vec<u64>,
}

impl State {
    /// Builds the arena from the base's types (if any) and `own`, whose ids
    /// start right after the base. Rejects what the passes cannot handle:
    /// unknown kinds, bodies that do not fit their kind, dangling ids.
    pub(super) fn new(base: Option<&Btf<'_>>, own: Vec<OwnedType>, collide: bool) -> Result<State> {
        let start = base.map_or(1, |b| b.type_count());
        let total = start as usize + own.len();
        let mut types = Vec::with_capacity(total);
        types.push(void());
        if let Some(b) = base {
            types.extend((1..start).map(|i| match b.get(TypeId(i)) {
                Some(t) => OwnedType::from_type(&t),
                None => void(),
            }));
        }
        types.extend(own);
        for (i, t) in types.iter_mut().enumerate().skip(1) {
            check_type(TypeId(i as u32), t, total as u32)?;
        }
        let mut map = vec![Canon::Unprocessed; total];
        map[0] = Canon::Id(TypeId::VOID);
        for (i, t) in types.iter().enumerate().skip(1) {
            // Variables and sections are never merged: each stays as it is.
            if matches!(t.kind, Kind::Var | Kind::Datasec) {
                map[i] = Canon::Id(TypeId(i as u32));
            }
        }
        Ok(State {
            types,
            start,
            map,
            hypot: Hypot::new(total),
            table: Table::new(total, collide),
            equiv_stack: Vec::new(),
            sigs: Vec::new(),
        })
    }

    /// The type with id `id` (validated at construction, so in range).
    #[inline]
    pub(super) fn ty(&self, id: TypeId) -> &OwnedType {
        &self.types[id.0 as usize]
    }

    /// One past the last id.
    pub(super) fn end(&self) -> u32 {
        self.types.len() as u32
    }

    /// The ids being deduplicated, ascending.
    pub(super) fn own_ids(&self) -> impl Iterator<Item = TypeId> {
        (self.start..self.end()).map(TypeId)
    }

    #[inline]
    pub(super) fn canon(&self, id: TypeId) -> Canon {
        self.map[id.0 as usize]
    }

    #[inline]
    pub(super) fn set_canon(&mut self, id: TypeId, to: TypeId) {
        self.map[id.0 as usize] = Canon::Id(to);
    }

    #[inline]
    pub(super) fn is_mapped(&self, id: TypeId) -> bool {
        matches!(self.canon(id), Canon::Id(_))
    }

    /// Follows the canonical map as far as it goes: the representative if
    /// one is known, else `id` itself.
    #[inline]
    pub(super) fn resolve(&self, mut id: TypeId) -> TypeId {
        while let Canon::Id(next) = self.canon(id) {
            if next == id {
                break;
            }
            id = next;
        }
        id
    }

    /// A FWD that already resolves to a struct or union gives that type;
    /// anything else stays `id`.
    pub(super) fn resolve_fwd(&self, id: TypeId) -> TypeId {
        if self.ty(id).kind != Kind::Fwd {
            return id;
        }
        let target = self.resolve(id);
        if self.ty(target).kind == Kind::Fwd {
            id
        } else {
            target
        }
    }
}

/// The stand-in for `void` at index 0: kind 0, like libbpf's `UNKN`.
fn void() -> OwnedType {
    OwnedType {
        name: StrOffset::EMPTY,
        kind: Kind::Unknown(0),
        kflag: false,
        size_or_type: 0,
        body: Body::None,
    }
}

/// A dedup error about type `id`.
pub(super) fn error(id: TypeId, what: impl Into<String>) -> Error {
    Error::Dedup {
        id,
        what: what.into(),
    }
}

/// Checks that the passes can work on `t`: a known kind, a body of the
/// shape the kind has, every referenced id below `total`.
fn check_type(id: TypeId, t: &mut OwnedType, total: u32) -> Result<()> {
    if !body_fits(t.kind, &t.body) {
        return Err(match t.kind {
            Kind::Unknown(raw) => error(id, format!("unknown kind {raw} cannot be deduplicated")),
            k => error(id, format!("{k} record with a {} body", body_name(&t.body))),
        });
    }
    let mut bad = None;
    for_each_ref(t, |r| {
        if *r >= total {
            bad = Some(*r);
        }
    });
    match bad {
        Some(bad) => Err(error(
            id,
            format!("refers to type [{bad}], past the last id {}", total - 1),
        )),
        None => Ok(()),
    }
}

fn body_fits(kind: Kind, body: &Body) -> bool {
    match kind {
        Kind::Int => matches!(body, Body::Int(_)),
        Kind::Array => matches!(body, Body::Array(_)),
        Kind::Struct | Kind::Union => matches!(body, Body::Members(_)),
        Kind::Enum => matches!(body, Body::Enum(_)),
        Kind::Enum64 => matches!(body, Body::Enum64(_)),
        Kind::Func => matches!(body, Body::Func(_)),
        Kind::FuncProto => matches!(body, Body::Params(_)),
        Kind::Var => matches!(body, Body::Var(_)),
        Kind::Datasec => matches!(body, Body::Datasec(_)),
        Kind::DeclTag => matches!(body, Body::DeclTag(_)),
        Kind::Ptr
        | Kind::Fwd
        | Kind::Typedef
        | Kind::Volatile
        | Kind::Const
        | Kind::Restrict
        | Kind::Float
        | Kind::TypeTag => matches!(body, Body::None),
        Kind::Unknown(_) => false,
    }
}

fn body_name(body: &Body) -> &'static str {
    match body {
        Body::None => "empty",
        Body::Int(_) => "INT",
        Body::Array(_) => "ARRAY",
        Body::Members(_) => "member",
        Body::Enum(_) => "ENUM",
        Body::Enum64(_) => "ENUM64",
        Body::Func(_) => "FUNC",
        Body::Params(_) => "parameter",
        Body::Var(_) => "VAR",
        Body::Datasec(_) => "DATASEC",
        Body::DeclTag(_) => "DECL_TAG",
        Body::Unknown { .. } => "raw",
    }
}
