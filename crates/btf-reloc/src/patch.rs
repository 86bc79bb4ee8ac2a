//! Patching instructions with resolved values, exactly as libbpf's
//! `bpf_core_patch_insn` (src/relo_core.c), and the [`Fixup`] that
//! describes one relocation's effect.

use std::fmt;

use bpf_obj::insn::{CLASS_ALU, CLASS_ALU64, CLASS_LD, CLASS_LDX, CLASS_ST, CLASS_STX};
use bpf_obj::Insn;
use btf_core::ext::CoreReloKind;
use smallvec::SmallVec;

use crate::calc::CalcResult;
use crate::{Error, Location, Resolution, Semantics};

/// The helper id libbpf writes into a poisoned instruction
/// (`call 0xbad2310`): the verifier then reports
/// `invalid func unknown#195896080` if the instruction is reachable.
pub const POISON_IMM: i32 = 0xbad2310;

/// What happened to a relocation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Status {
    /// The target value was written.
    Ok,
    /// No target: the instruction was replaced by the poison call.
    Poisoned(PoisonReason),
    /// No target, and the kind writes 0 (`*_exists`, `type_size`,
    /// `target_type_id`, `type_matches`).
    Zeroed,
}

/// Why an instruction was poisoned.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PoisonReason {
    /// No candidate matched (field kinds other than `field_exists`,
    /// `enumval_value`).
    NoTarget,
    /// The field's size changes in a way the load/store cannot follow
    /// (neither both pointers nor both unsigned integers).
    UnsafeSizeChange {
        /// Local field size.
        local: u32,
        /// Target field size.
        target: u32,
    },
}

impl Status {
    /// `ok`, `poisoned` or `zeroed`.
    pub fn name(&self) -> &'static str {
        match self {
            Status::Ok => "ok",
            Status::Poisoned(_) => "poisoned",
            Status::Zeroed => "zeroed",
        }
    }

    /// Why, in words; empty for `ok`.
    pub fn reason(&self) -> String {
        match self {
            Status::Ok => String::new(),
            Status::Zeroed => "no matching target; this kind evaluates to 0".into(),
            Status::Poisoned(PoisonReason::NoTarget) => "no matching target".into(),
            Status::Poisoned(PoisonReason::UnsafeSizeChange { local, target }) => format!(
                "field size changes from {local} to {target} bytes and is neither a pointer nor an unsigned integer on both sides"
            ),
        }
    }
}

/// One patched instruction slot.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SlotPatch {
    /// Section-relative instruction index.
    pub insn: u32,
    /// The slot before.
    pub old: Insn,
    /// The slot after.
    pub new: Insn,
}

/// What one relocation does to its instruction.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fixup {
    /// Where the record is.
    pub location: Location,
    /// The relocation kind.
    pub kind: CoreReloKind,
    /// ok, poisoned or zeroed.
    pub status: Status,
    /// The value found in the instruction (`imm`, `off` or the 64-bit
    /// immediate), as libbpf reads it.
    pub found: i128,
    /// The local value the instruction was expected to hold.
    pub expected: u64,
    /// Whether `found` was checked against `expected`.
    pub validated: bool,
    /// The value written (`None` when poisoned).
    pub value: Option<u64>,
    /// The load/store size change, `(old, new)` bytes, if any.
    pub mem_size: Option<(u32, u32)>,
    /// The changed slots (two for a poisoned or patched `LD_IMM64`).
    slots: SmallVec<[SlotPatch; 2]>,
}

impl Fixup {
    /// The changed slots, in instruction order (two for a poisoned or
    /// patched `LD_IMM64`).
    pub fn slots(&self) -> &[SlotPatch] {
        &self.slots
    }

    /// Writes the patched slots into a section's instructions.
    pub fn apply(&self, insns: &mut [Insn]) {
        for s in &self.slots {
            if let Some(slot) = insns.get_mut(s.insn as usize) {
                *slot = s.new;
            }
        }
    }
}

impl fmt::Display for Fixup {
    /// `byte_off=4->8`, `byte_off=poison`, `field_exists=1->0 (zeroed)`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}=", self.kind.name())?;
        match (self.status, self.value) {
            (Status::Poisoned(_), _) | (_, None) => write!(f, "poison"),
            (Status::Zeroed, Some(v)) => write!(f, "{}->{v} (zeroed)", self.found),
            (Status::Ok, Some(v)) => write!(f, "{}->{v}", self.found),
        }
    }
}

/// The instructions of the function containing a relocation.
#[derive(Clone, Copy, Debug)]
pub struct FuncInsns<'a> {
    /// The function's instructions.
    pub insns: &'a [Insn],
    /// Section-relative index of `insns[0]`.
    pub start: u32,
}

/// Computes how `res` changes its instruction, without changing it. `at` is
/// the section-relative index of the relocated instruction; `func` holds
/// the instructions of its function.
pub fn plan(
    res: &Resolution<'_, '_>,
    func: FuncInsns<'_>,
    at: u32,
    sem: Semantics,
) -> Result<Fixup, Error> {
    let c = res.calc;
    let idx = at.wrapping_sub(func.start) as usize;
    let count = func.insns.len() as u32;
    let out_of_range = || Error::InsnOutOfRange {
        insn: at,
        what: "its function".into(),
        count,
    };
    let insn = *func.insns.get(idx).ok_or_else(out_of_range)?;
    let next = func.insns.get(idx + 1).copied();
    let mut fx = Fixup {
        location: res.location.clone(),
        kind: res.kind(),
        status: Status::Ok,
        found: found_value(&insn, next),
        expected: c.orig_val,
        validated: c.validate,
        value: Some(c.new_val),
        mem_size: None,
        slots: SmallVec::new(),
    };
    if res.used.is_none() && !c.poison && res.kind() != CoreReloKind::TypeIdLocal {
        fx.status = Status::Zeroed;
    }
    if c.poison {
        return poison(fx, insn, next, at, PoisonReason::NoTarget);
    }
    match insn.class() {
        CLASS_ALU | CLASS_ALU64 => {
            if !insn.is_src_imm() {
                return Err(Error::SrcNotImm { insn: at });
            }
            if c.validate && !alu_value_ok(insn.imm, c.orig_val, sem) {
                return Err(unexpected(at, "ALU/ALU64", insn.imm.to_string(), &c));
            }
            let new = Insn {
                imm: c.new_val as u32 as i32,
                ..insn
            };
            fx.slots.push(SlotPatch {
                insn: at,
                old: insn,
                new,
            });
        }
        CLASS_LDX | CLASS_ST | CLASS_STX => {
            if c.validate && insn.off as i64 as u64 != c.orig_val {
                return Err(unexpected(at, "LDX/ST/STX", insn.off.to_string(), &c));
            }
            if c.new_val > i16::MAX as u64 {
                return Err(Error::OffTooBig {
                    insn: at,
                    value: c.new_val,
                });
            }
            if c.fail_memsz_adjust {
                let reason = PoisonReason::UnsafeSizeChange {
                    local: c.orig_sz,
                    target: c.new_sz,
                };
                return poison(fx, insn, next, at, reason);
            }
            let mut new = Insn {
                off: c.new_val as i16,
                ..insn
            };
            if c.new_sz != c.orig_sz {
                if insn.mem_size() != c.orig_sz {
                    return Err(Error::UnexpectedMemSize {
                        insn: at,
                        got: insn.mem_size(),
                        expected: c.orig_sz,
                    });
                }
                new = new.with_mem_size(c.new_sz).ok_or(Error::InvalidMemSize {
                    insn: at,
                    size: c.new_sz,
                })?;
                fx.mem_size = Some((c.orig_sz, c.new_sz));
            }
            fx.slots.push(SlotPatch {
                insn: at,
                old: insn,
                new,
            });
        }
        CLASS_LD => {
            let Some(hi) = next.filter(|hi| well_formed_ld_imm64(&insn, hi)) else {
                return Err(Error::BadLdImm64 { insn: at });
            };
            let imm = u64::from(insn.imm as u32) | u64::from(hi.imm as u32) << 32;
            if c.validate && imm != c.orig_val {
                return Err(unexpected(at, "LDIMM64", imm.to_string(), &c));
            }
            let lo_new = Insn {
                imm: c.new_val as u32 as i32,
                ..insn
            };
            let hi_new = Insn {
                imm: (c.new_val >> 32) as u32 as i32,
                ..hi
            };
            fx.slots.push(SlotPatch {
                insn: at,
                old: insn,
                new: lo_new,
            });
            fx.slots.push(SlotPatch {
                insn: at + 1,
                old: hi,
                new: hi_new,
            });
        }
        _ => {
            return Err(Error::UnrecognizedInsn {
                insn: at,
                code: insn.code,
            })
        }
    }
    Ok(fx)
}

/// libbpf compares the sign-extended `imm` with the expected value. btfkit
/// also accepts the zero-extended `imm`, so an unsigned 32-bit value
/// ≥ 2³¹ (zero-extended by btfkit) validates.
fn alu_value_ok(imm: i32, expected: u64, sem: Semantics) -> bool {
    let sext = imm as i64 as u64;
    match sem {
        Semantics::Libbpf => sext == expected,
        Semantics::Btfkit => sext == expected || u64::from(imm as u32) == expected,
    }
}

fn unexpected(at: u32, class: &'static str, got: String, c: &CalcResult) -> Error {
    Error::UnexpectedValue {
        insn: at,
        class,
        got,
        expected: c.orig_val,
        new: c.new_val,
    }
}

/// libbpf's LD_IMM64 form check: `code 0x18, src 0, off 0`, second slot
/// all zero but its `imm`.
fn well_formed_ld_imm64(lo: &Insn, hi: &Insn) -> bool {
    lo.is_ld_imm64()
        && lo.src == 0
        && lo.off == 0
        && hi.code == 0
        && hi.dst == 0
        && hi.src == 0
        && hi.off == 0
}

/// The value the instruction holds, as the patcher reads it.
fn found_value(insn: &Insn, next: Option<Insn>) -> i128 {
    match insn.class() {
        CLASS_LDX | CLASS_ST | CLASS_STX => i128::from(insn.off),
        CLASS_LD if insn.is_ld_imm64() => {
            let hi = next.map_or(0, |n| n.imm as u32);
            i128::from(u64::from(insn.imm as u32) | u64::from(hi) << 32)
        }
        _ => i128::from(insn.imm),
    }
}

fn poison(
    mut fx: Fixup,
    insn: Insn,
    next: Option<Insn>,
    at: u32,
    reason: PoisonReason,
) -> Result<Fixup, Error> {
    fx.status = Status::Poisoned(reason);
    fx.value = None;
    let call = Insn::call(POISON_IMM);
    fx.slots.push(SlotPatch {
        insn: at,
        old: insn,
        new: call,
    });
    if insn.is_ld_imm64() {
        let hi = next.ok_or(Error::BadLdImm64 { insn: at })?;
        fx.slots.push(SlotPatch {
            insn: at + 1,
            old: hi,
            new: call,
        });
    }
    Ok(fx)
}
