//! `btf_decl_tag` and `btf_type_tag`: clang's `DW_TAG_LLVM_annotation`
//! children of the DIE they apply to.

use crate::attrs::Attrs;
use crate::model::Name;
use crate::unit::{Frame, TagTarget, UnitDecoder};

impl<'a> UnitDecoder<'_, 'a> {
    /// A `DW_TAG_LLVM_annotation`: a decl tag on its parent, or a type tag
    /// on its parent pointer.
    pub(crate) fn annotation(&mut self, a: &Attrs<'a>) -> gimli::Result<()> {
        let what = self.bytes(&a.name)?;
        let value: Name<'a> = match &a.const_value {
            Some(v) => Name::Bytes(self.bytes(&Some(*v))?),
            None => return Ok(()),
        };
        if self.name_is_empty(&value) {
            return Ok(());
        }
        let Some((_, parent)) = self.stack.last_mut() else {
            return Ok(());
        };
        match (&*what, parent) {
            (b"btf_type_tag", Frame::Pointer { tags, .. }) => tags.push(value),
            (b"btf_decl_tag", Frame::Composite { id, .. }) => {
                let id = *id;
                self.type_tags.push((id, value));
            }
            (b"btf_decl_tag", Frame::Tagged(target)) => {
                let target = *target;
                self.decl_tag(target, value);
            }
            (b"btf_decl_tag", Frame::Subprogram { func: Some(f), .. }) => {
                f.tags.push(crate::model::DeclTag {
                    value,
                    component: -1,
                });
            }
            _ => {}
        }
        Ok(())
    }

    pub(crate) fn decl_tag(&mut self, target: TagTarget, value: Name<'a>) {
        match target {
            TagTarget::Type(id) => self.type_tags.push((id, value)),
            TagTarget::Member { composite, index } => {
                self.member_tags.push((composite, index, value))
            }
            TagTarget::Param { frame, index } => {
                if let Some((_, Frame::Subprogram { func: Some(f), .. })) =
                    self.stack.get_mut(frame)
                {
                    f.tags.push(crate::model::DeclTag {
                        value,
                        component: index as i32,
                    });
                }
            }
            TagTarget::Var(i) => {
                if let Some(v) = self.out.vars.get_mut(i) {
                    v.tags.push(crate::model::DeclTag {
                        value,
                        component: -1,
                    });
                }
            }
        }
    }
}
