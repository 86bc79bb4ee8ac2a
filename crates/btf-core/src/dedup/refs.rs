//! The reference pass: PTR, modifiers, TYPE_TAG, FUNC, DECL_TAG, ARRAY and
//! FUNC_PROTO. By now every struct, union, typedef and primitive has its
//! representative, so each reference type is deduplicated after the types it
//! refers to: their ids are rewritten to canonical ones in place, and then
//! exact equality (ids included) finds the representative.
//!
//! A chain of reference types always ends at a type of an earlier pass, so
//! the walk terminates; a loop made only of reference types is an error.

use super::shape::{
    equal_all, equal_common, equal_int_tag, hash_array, hash_common, hash_func_proto, hash_int_tag,
};
use super::state::{error, Canon, Rec, State};
use crate::write::for_each_ref_word;
use crate::{Kind, Result, TypeId};

/// One entry of the walk's stack.
#[derive(Clone, Copy, Debug)]
enum Step {
    /// Look at this type; push its referenced types if it needs them.
    Enter(TypeId),
    /// Its referenced types are done: rewrite them and find its
    /// representative.
    Finish(TypeId),
}

impl State {
    pub(super) fn dedup_references(&mut self) -> Result<()> {
        let mut stack = Vec::new();
        for id in self.own_ids() {
            if self.canon(id) == Canon::Unprocessed {
                self.dedup_reference(id, &mut stack)?;
            }
        }
        Ok(())
    }

    /// Deduplicates `root` and, first, every unprocessed type it reaches,
    /// in the order a recursive walk would (which decides representatives).
    fn dedup_reference(&mut self, root: TypeId, stack: &mut Vec<Step>) -> Result<()> {
        stack.clear();
        stack.push(Step::Enter(root));
        while let Some(step) = stack.pop() {
            match step {
                Step::Enter(id) => match self.canon(id) {
                    Canon::Id(_) => {}
                    Canon::InProgress => {
                        return Err(error(
                            id,
                            "reference loop through no struct, union or typedef",
                        ))
                    }
                    Canon::Unprocessed => {
                        self.set_in_progress(id);
                        stack.push(Step::Finish(id));
                        let start = stack.len();
                        self.push_refs(id, stack)?;
                        // Pushed in visiting order; reverse so the first
                        // reference is finished first.
                        stack[start..].reverse();
                    }
                },
                Step::Finish(id) => self.finish_reference(id),
            }
        }
        Ok(())
    }

    /// Pushes `Enter` for what `id` refers to, in libbpf's visiting order.
    fn push_refs(&self, id: TypeId, stack: &mut Vec<Step>) -> Result<()> {
        let t = self.ty(id);
        match t.kind() {
            Kind::Const
            | Kind::Volatile
            | Kind::Restrict
            | Kind::Ptr
            | Kind::Func
            | Kind::TypeTag
            | Kind::DeclTag => stack.push(Step::Enter(TypeId(t.size_or_type()))),
            Kind::Array => {
                stack.push(Step::Enter(TypeId(t.word(0))));
                stack.push(Step::Enter(TypeId(t.word(1))));
            }
            Kind::FuncProto => {
                stack.push(Step::Enter(TypeId(t.size_or_type())));
                stack.extend(t.pairs().map(|p| Step::Enter(TypeId(p[1]))));
            }
            other => return Err(error(id, format!("{other} left undeduplicated"))),
        }
        Ok(())
    }

    /// Rewrites the references of `id` to their representatives, then maps
    /// `id` to the first exactly equal candidate, or makes it canonical.
    fn finish_reference(&mut self, id: TypeId) {
        // The record is rewritten in place: every referenced type is
        // finished, so resolving is a read of the map only.
        let (map_view, words) = self.split_for_rewrite(id);
        for_each_ref_word(words, |r| *r = map_view.resolve(TypeId(*r)).0);
        let t = self.ty(id);
        let (h, eq): (u64, fn(Rec<'_>, Rec<'_>) -> bool) = match t.kind() {
            Kind::DeclTag => (hash_int_tag(t), equal_int_tag),
            Kind::Array => (hash_array(t), equal_all),
            Kind::FuncProto => (hash_func_proto(t), equal_all),
            _ => (hash_common(t), equal_common),
        };
        let canon = self.first_match(h, id, eq).unwrap_or(id);
        self.set_canon(id, canon);
        if canon == id {
            self.table.add(h, id);
        }
    }
}
