//! Matching a local spec against one candidate root type in a target
//! (libbpf's `bpf_core_spec_match` and `bpf_core_match_member`).

use btf_core::types::TypeData;
use btf_core::TypeId;

use crate::compat::{fields_compat, types_compat, types_match};
use crate::name::essential;
use crate::spec::{add_bits, element_bits, is_flex, Accessor, Spec, MAX_SPEC_LEN};
use crate::types::{name_is, BtfView};
use crate::Error;

/// Why a candidate does not match: the first step of the local spec that
/// has no counterpart in the candidate.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mismatch {
    /// Index of the failing high-level accessor in the local spec (0 for
    /// type and enumerator relocations).
    pub step: usize,
    /// The target type at that step (stripped), where the name was looked
    /// for.
    pub target_type: TypeId,
    /// What did not match.
    pub reason: MismatchReason,
}

/// What did not match, at [`Mismatch::step`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MismatchReason {
    /// TYPE_EXISTS/TYPE_SIZE/TYPE_ID_TARGET: the types are not compatible
    /// (relation (b)).
    TypeIncompatible,
    /// TYPE_MATCHES: the types do not match (relation (c)).
    TypeMismatch,
    /// Enumerator relocation on a candidate that is not an enum.
    NotAnEnum,
    /// No enumerator with the local enumerator's essential name.
    NoEnumerator,
    /// The target at this step is not a struct or union.
    NotComposite,
    /// No member with the local member's name.
    NoMember,
    /// The first same-named member has an incompatible type (relation (a)).
    MemberIncompatible {
        /// The target member's type.
        member_type: TypeId,
    },
    /// The local spec subscripts an array; the target is not an array.
    NotArray,
    /// The subscript is past the end of the target array.
    SubscriptOutOfRange {
        /// The target array's length.
        nelems: u32,
    },
}

/// The result of matching one candidate.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MatchOutcome<'t> {
    /// The candidate matches: the target spec.
    Match(Spec<'t>),
    /// The candidate does not match, and why.
    NoMatch(Mismatch),
}

/// Options that change matching.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct MatchOpts {
    /// Reproduce libbpf's bookkeeping after an incompatible same-named
    /// member inside an anonymous member: its raw index and bit offset are
    /// not undone before the search goes on.
    pub libbpf_member_quirk: bool,
}

/// Matches `local` against candidate `cand` of target `t`.
pub(crate) fn spec_match<'t>(
    local: &Spec<'_>,
    l: &BtfView<'_>,
    t: &BtfView<'t>,
    cand: TypeId,
    opts: MatchOpts,
) -> Result<MatchOutcome<'t>, Error> {
    let mut targ = Spec::empty(cand, local.kind);
    let no = |step, target_type, reason| {
        Ok(MatchOutcome::NoMatch(Mismatch {
            step,
            target_type,
            reason,
        }))
    };
    if local.kind.is_type() {
        let (ok, reason) = if local.kind == btf_core::ext::CoreReloKind::TypeMatches {
            (
                types_match(l, local.root, t, cand)?,
                MismatchReason::TypeMismatch,
            )
        } else {
            (
                types_compat(l, local.root, t, cand)?,
                MismatchReason::TypeIncompatible,
            )
        };
        return if ok {
            Ok(MatchOutcome::Match(targ))
        } else {
            no(0, cand, reason)
        };
    }
    if local.kind.is_enumval() {
        return enum_match(local, t, cand, targ);
    }
    let mut bits = 0u64;
    let mut targ_id = cand;
    for (i, lacc) in local.accessors.iter().enumerate() {
        let (sid, st) = t.strip(targ_id)?;
        targ_id = sid;
        if lacc.name.is_some() {
            let mut w = Walk {
                l,
                t,
                lacc,
                spec: &mut targ,
                bits: &mut bits,
                opts,
                root: cand,
            };
            match w.member(targ_id)? {
                Member::Found(next) => targ_id = next,
                Member::NotComposite => return no(i, sid, MismatchReason::NotComposite),
                Member::Miss {
                    incompatible: Some(member_type),
                } => return no(i, sid, MismatchReason::MemberIncompatible { member_type }),
                Member::Miss { incompatible: None } => return no(i, sid, MismatchReason::NoMember),
            }
            continue;
        }
        if i > 0 {
            let Some(TypeData::Array(a)) = st.map(|t| t.data()) else {
                return no(i, sid, MismatchReason::NotArray);
            };
            let flex = is_flex(t, targ.accessors.last(), a.nelems);
            if !flex && lacc.index >= a.nelems {
                return no(
                    i,
                    sid,
                    MismatchReason::SubscriptOutOfRange { nelems: a.nelems },
                );
            }
            targ_id = t.strip(a.elem_type)?.0;
        }
        if targ.raw.len() == MAX_SPEC_LEN {
            return Err(Error::TooDeep { target: cand });
        }
        targ.accessors.push(Accessor {
            type_id: targ_id,
            index: lacc.index,
            name: None,
        });
        targ.raw.push(lacc.index);
        let size = t
            .resolve_size(targ_id)
            .ok_or(Error::NoSize { id: targ_id })?;
        bits = add_bits(bits, element_bits(lacc.index, size)?)?;
    }
    targ.bit_offset = u32::try_from(bits).map_err(|_| Error::BitOffsetOverflow)?;
    Ok(MatchOutcome::Match(targ))
}

fn enum_match<'t>(
    local: &Spec<'_>,
    t: &BtfView<'t>,
    cand: TypeId,
    mut targ: Spec<'t>,
) -> Result<MatchOutcome<'t>, Error> {
    let (sid, st) = t.strip(cand)?;
    let Some(st) = st.filter(|s| s.kind().is_enum()) else {
        return Ok(MatchOutcome::NoMatch(Mismatch {
            step: 0,
            target_type: sid,
            reason: MismatchReason::NotAnEnum,
        }));
    };
    let want = essential(local.accessors[0].name.unwrap_or_default());
    for (i, v) in st.enum_values().enumerate() {
        let name = t.btf.name(v.name).unwrap_or_default();
        if essential(name) == want {
            targ.accessors.push(Accessor {
                type_id: sid,
                index: i as u32,
                name: Some(name),
            });
            targ.raw.push(i as u32);
            return Ok(MatchOutcome::Match(targ));
        }
    }
    Ok(MatchOutcome::NoMatch(Mismatch {
        step: 0,
        target_type: sid,
        reason: MismatchReason::NoEnumerator,
    }))
}

/// The result of looking for a named member.
enum Member {
    /// Found and compatible; the member's type.
    Found(TypeId),
    /// The target is not a struct or union.
    NotComposite,
    /// Not found; `incompatible` is the type of a same-named member whose
    /// type was not compatible, if one was seen.
    Miss { incompatible: Option<TypeId> },
}

/// State of one `bpf_core_match_member` search.
struct Walk<'w, 'l, 't> {
    l: &'w BtfView<'l>,
    t: &'w BtfView<'t>,
    lacc: &'w Accessor<'l>,
    spec: &'w mut Spec<'t>,
    bits: &'w mut u64,
    opts: MatchOpts,
    root: TypeId,
}

impl Walk<'_, '_, '_> {
    fn member(&mut self, targ_id: TypeId) -> Result<Member, Error> {
        let (sid, st) = self.t.strip(targ_id)?;
        let Some(st) = st.filter(|s| s.kind().is_composite()) else {
            return Ok(Member::NotComposite);
        };
        let local_member = self
            .l
            .get(self.lacc.type_id)
            .and_then(|lt| lt.members().get(self.lacc.index as usize));
        let Some(local_member) = local_member else {
            return Ok(Member::Miss { incompatible: None });
        };
        let local_name = self.lacc.name.unwrap_or_default();
        let mut incompatible = None;
        for (i, m) in st.members().enumerate() {
            if self.spec.raw.len() == MAX_SPEC_LEN {
                return Err(Error::TooDeep { target: self.root });
            }
            let off = u64::from(m.bit_offset());
            *self.bits = self.bits.wrapping_add(off);
            self.spec.raw.push(i as u32);
            if name_is(self.t.btf, m.name, b"") {
                match self.member(m.type_id)? {
                    found @ Member::Found(_) => return Ok(found),
                    Member::Miss {
                        incompatible: Some(ty),
                    } => incompatible = incompatible.or(Some(ty)),
                    _ => {}
                }
            } else if name_is(self.t.btf, m.name, local_name) {
                self.spec.accessors.push(Accessor {
                    type_id: sid,
                    index: i as u32,
                    name: Some(self.t.btf.name(m.name).unwrap_or_default()),
                });
                if fields_compat(self.l, local_member.type_id, self.t, m.type_id)? {
                    return Ok(Member::Found(m.type_id));
                }
                self.spec.accessors.pop();
                if !self.opts.libbpf_member_quirk {
                    *self.bits = self.bits.wrapping_sub(off);
                    self.spec.raw.pop();
                }
                return Ok(Member::Miss {
                    incompatible: Some(m.type_id),
                });
            }
            *self.bits = self.bits.wrapping_sub(off);
            self.spec.raw.pop();
        }
        Ok(Member::Miss { incompatible })
    }
}
