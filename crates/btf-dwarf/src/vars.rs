//! Variables: which `DW_TAG_variable`s become VARs, and where they live.
//!
//! A VAR needs static storage at a known place: a location expression that
//! is exactly one `DW_OP_addr` (or `DW_OP_addrx`) into an allocated, non-TLS
//! section. In linked files the address names the section; in relocatable
//! objects every section starts at 0, so the relocation that filled the
//! address in says which section it points into.
//!
//! For vmlinux and modules only per-CPU variables become VARs, with
//! pahole's filters (see DWARF2BTF.md §4); for everything else every such
//! variable does, like LLVM's BPF backend does for a BPF object's globals.

use btf_core::types::Linkage;
use btf_core::Kind;
use gimli::{DebugAddrIndex, Reader, SectionId};

use crate::attrs::{Attrs, R};
use crate::context::Selection;
use crate::ids::Ref;
use crate::model::VarCandidate;
use crate::names::is_valid_identifier;
use crate::unit::{Frame, TagTarget, UnitDecoder};

/// The section pahole encodes VARs for in kernel images.
pub(crate) const PERCPU_SECTION: &[u8] = b".data..percpu";

/// Kernel symbols that are not variables anyone wants in BTF (pahole's
/// list).
const KERNEL_SKIP_PREFIXES: [&[u8]; 5] = [
    b"__UNIQUE_ID",
    b"__tpstrtab_",
    b"__exitcall_",
    b"__gendwarfksyms_ptr_",
    b"__func_stack_frame_non_standard_",
];

impl<'a> UnitDecoder<'_, 'a> {
    /// Handles a `DW_TAG_variable` at unit or namespace scope.
    pub(crate) fn variable(&mut self, a: &Attrs<'a>) -> gimli::Result<Option<Frame<'a>>> {
        if a.declaration {
            return Ok(None);
        }
        let Some(expr) = &a.location else {
            return Ok(None);
        };
        let Some((section, offset, address)) = self.static_address(expr)? else {
            return Ok(None);
        };
        let spec = match a.specification {
            Some(r) => self.read_decl(r, 0)?.unwrap_or_default(),
            None => Default::default(),
        };
        let name = match (&a.linkage_name, &a.name) {
            (Some(_), _) => self.lazy(&a.linkage_name, false)?,
            (None, Some(_)) => self.lazy(&a.name, false)?,
            _ if !self.name_is_empty(&spec.linkage_name) => spec.linkage_name.clone(),
            _ => spec.name.clone(),
        };
        let ty = match a.ty {
            Some(t) => self.die_ref(t),
            None => spec.ty.unwrap_or(Ref::Void),
        };
        if self.name_is_empty(&name) || ty == Ref::Void {
            return Ok(None);
        }
        let Some(sec) = self.ctx.elf.section(section) else {
            return Ok(None);
        };
        if !sec.data {
            return Ok(None);
        }
        if self.ctx.selection == Selection::Kernel {
            let bytes = self.resolve_name(&name);
            let keep = sec.name == PERCPU_SECTION
                && is_valid_identifier(&bytes)
                && !KERNEL_SKIP_PREFIXES.iter().any(|p| bytes.starts_with(p))
                // A variable at offset 0 must really be there (pahole 1.30):
                // GCC gives address 0 to some variables it optimised away.
                && (offset != 0 || self.ctx.elf.objects.contains(&(section, address)));
            if !keep {
                return Ok(None);
            }
        }
        let name = self.fix_name(Kind::Var, name);
        self.out.vars.push(VarCandidate {
            name,
            ty,
            linkage: if a.external || spec.external {
                Linkage::Global
            } else {
                Linkage::Static
            },
            section,
            offset,
            size: 0,
            tags: Vec::new(),
        });
        Ok(Some(Frame::Tagged(TagTarget::Var(self.out.vars.len() - 1))))
    }

    /// `(section index, offset in section, address)` of a location
    /// expression that is a single static address.
    fn static_address(
        &self,
        expr: &gimli::Expression<R<'a>>,
    ) -> gimli::Result<Option<(usize, u64, u64)>> {
        let mut r = expr.0;
        let start = r;
        // An empty or cut-off expression, or an index .debug_addr lacks,
        // only means "no static address": no VAR, not a failed conversion.
        let Ok(op) = r.read_u8() else {
            return Ok(None);
        };
        let address_size = self.unit.header.address_size();
        let (address, reloc_at) = match op {
            // DW_OP_addr
            0x03 => {
                let info = *gimli::Section::reader(&self.ctx.dwarf.debug_info);
                let at = start.offset_from(info) + 1;
                let Ok(address) = r.read_address(address_size) else {
                    return Ok(None);
                };
                (address, (SectionId::DebugInfo, at as u64))
            }
            // DW_OP_addrx, DW_OP_GNU_addr_index
            0xa1 | 0xfb => {
                let index = r.read_uleb128()?;
                let Ok(index_usize) = usize::try_from(index) else {
                    return Ok(None);
                };
                let Ok(address) = self
                    .ctx
                    .dwarf
                    .address(self.unit, DebugAddrIndex(index_usize))
                else {
                    return Ok(None);
                };
                let at = (self.unit.addr_base.0 as u64)
                    .saturating_add(index.saturating_mul(u64::from(address_size)));
                (address, (SectionId::DebugAddr, at))
            }
            _ => return Ok(None),
        };
        if !r.is_empty() {
            // `DW_OP_addr; DW_OP_plus_uconst` and the like: part of
            // something else, not a variable of its own.
            return Ok(None);
        }
        let section = if self.ctx.elf.relocatable {
            self.ctx.sections.addr_target(reloc_at.0, reloc_at.1)
        } else {
            self.ctx.elf.section_of_address(address)
        };
        let Some(section) = section else {
            return Ok(None);
        };
        let base = self.ctx.elf.section(section).map_or(0, |s| s.addr);
        Ok(Some((section, address.wrapping_sub(base), address)))
    }
}
