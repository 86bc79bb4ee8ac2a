//! BPF instructions (`struct bpf_insn`): decoding, encoding and the opcode
//! fields a relocator needs.
//!
//! An instruction is 8 bytes: `code`, one byte holding the two 4-bit
//! registers, a 16-bit signed offset and a 32-bit signed immediate. The
//! register nibbles and the multi-byte fields follow the object's byte
//! order: on little-endian `dst` is the low nibble, on big-endian the high
//! one. `LD_IMM64` (`code 0x18`) takes two slots; the second slot's `imm`
//! holds the upper 32 bits.

use std::fmt;

use btf_core::Endian;

/// Size of one instruction slot in bytes.
pub const INSN_SIZE: usize = 8;

/// Instruction class `BPF_LD` (non-standard loads, `LD_IMM64`).
pub const CLASS_LD: u8 = 0x00;
/// Instruction class `BPF_LDX` (load from memory into a register).
pub const CLASS_LDX: u8 = 0x01;
/// Instruction class `BPF_ST` (store an immediate).
pub const CLASS_ST: u8 = 0x02;
/// Instruction class `BPF_STX` (store a register, atomics).
pub const CLASS_STX: u8 = 0x03;
/// Instruction class `BPF_ALU` (32-bit arithmetic).
pub const CLASS_ALU: u8 = 0x04;
/// Instruction class `BPF_JMP` (64-bit jumps, calls, exit).
pub const CLASS_JMP: u8 = 0x05;
/// Instruction class `BPF_JMP32`.
pub const CLASS_JMP32: u8 = 0x06;
/// Instruction class `BPF_ALU64`.
pub const CLASS_ALU64: u8 = 0x07;

/// Source operand bit: `BPF_K` (immediate) is 0, `BPF_X` (register) is this.
pub const SRC_X: u8 = 0x08;
/// Size field mask (`BPF_SIZE`).
pub const SIZE_MASK: u8 = 0x18;
/// Mode field mask (`BPF_MODE`).
pub const MODE_MASK: u8 = 0xe0;

/// The opcode of `LD_IMM64` (`BPF_LD | BPF_IMM | BPF_DW`).
pub const LD_IMM64: u8 = 0x18;
/// The opcode of a helper or subprogram call (`BPF_JMP | BPF_CALL`).
pub const CALL: u8 = 0x85;
/// `src_reg` of a call to a BPF subprogram (`BPF_PSEUDO_CALL`).
pub const PSEUDO_CALL: u8 = 1;

/// One 8-byte instruction slot.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub struct Insn {
    /// Opcode: class, size/source and mode/operation bits.
    pub code: u8,
    /// Destination register (0–10).
    pub dst: u8,
    /// Source register (0–10), or a pseudo marker for `LD_IMM64` and calls.
    pub src: u8,
    /// Signed offset (memory access, jump).
    pub off: i16,
    /// Signed immediate.
    pub imm: i32,
}

impl Insn {
    /// Decodes one slot from exactly 8 bytes.
    pub fn decode(e: Endian, b: [u8; 8]) -> Insn {
        let (dst, src) = match e {
            Endian::Little => (b[1] & 0x0f, b[1] >> 4),
            Endian::Big => (b[1] >> 4, b[1] & 0x0f),
        };
        Insn {
            code: b[0],
            dst,
            src,
            off: e.u16([b[2], b[3]]) as i16,
            imm: e.u32([b[4], b[5], b[6], b[7]]) as i32,
        }
    }

    /// Encodes the slot in byte order `e`.
    pub fn encode(&self, e: Endian) -> [u8; 8] {
        let regs = match e {
            Endian::Little => (self.src & 0x0f) << 4 | (self.dst & 0x0f),
            Endian::Big => (self.dst & 0x0f) << 4 | (self.src & 0x0f),
        };
        let off = e.u16_bytes(self.off as u16);
        let imm = e.u32_bytes(self.imm as u32);
        [
            self.code, regs, off[0], off[1], imm[0], imm[1], imm[2], imm[3],
        ]
    }

    /// Decodes a whole code section. A trailing partial slot is ignored
    /// (the object parser rejects such sections).
    pub fn decode_all(e: Endian, data: &[u8]) -> Vec<Insn> {
        data.chunks_exact(INSN_SIZE)
            .map(|c| Insn::decode(e, [c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]))
            .collect()
    }

    /// The class bits (`BPF_CLASS`), one of the `CLASS_*` constants.
    pub fn class(&self) -> u8 {
        self.code & 0x07
    }

    /// Whether this is the first slot of an `LD_IMM64`.
    pub fn is_ld_imm64(&self) -> bool {
        self.code == LD_IMM64
    }

    /// Whether the source operand is an immediate (`BPF_K`).
    pub fn is_src_imm(&self) -> bool {
        self.code & SRC_X == 0
    }

    /// Whether this is a load/store (`LDX`, `ST`, `STX`).
    pub fn is_mem(&self) -> bool {
        matches!(self.class(), CLASS_LDX | CLASS_ST | CLASS_STX)
    }

    /// Whether this is arithmetic (`ALU`, `ALU64`).
    pub fn is_alu(&self) -> bool {
        matches!(self.class(), CLASS_ALU | CLASS_ALU64)
    }

    /// The access size in bytes of a load/store (1, 2, 4 or 8).
    pub fn mem_size(&self) -> u32 {
        match self.code & SIZE_MASK {
            0x00 => 4,
            0x08 => 2,
            0x10 => 1,
            _ => 8,
        }
    }

    /// The same instruction with its access size set to `bytes`; `None` if
    /// `bytes` is not 1, 2, 4 or 8.
    pub fn with_mem_size(&self, bytes: u32) -> Option<Insn> {
        let bits = match bytes {
            1 => 0x10,
            2 => 0x08,
            4 => 0x00,
            8 => 0x18,
            _ => return None,
        };
        Some(Insn {
            code: (self.code & !SIZE_MASK) | bits,
            ..*self
        })
    }

    /// A call to helper `imm` (`code 0x85`, registers and offset zero).
    pub fn call(imm: i32) -> Insn {
        Insn {
            code: CALL,
            dst: 0,
            src: 0,
            off: 0,
            imm,
        }
    }

    /// A short name of the class for messages: `ALU/ALU64`, `LDX/ST/STX`,
    /// `LDIMM64` (as libbpf's log), or the class name.
    pub fn class_name(&self) -> &'static str {
        match self.class() {
            CLASS_ALU | CLASS_ALU64 => "ALU/ALU64",
            CLASS_LDX | CLASS_ST | CLASS_STX => "LDX/ST/STX",
            CLASS_LD if self.is_ld_imm64() => "LDIMM64",
            CLASS_LD => "LD",
            CLASS_JMP => "JMP",
            _ => "JMP32",
        }
    }
}

impl fmt::Display for Insn {
    /// `code=0x61 dst=1 src=2 off=8 imm=0`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "code={:#04x} dst={} src={} off={} imm={}",
            self.code, self.dst, self.src, self.off, self.imm
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_both_orders() {
        let i = Insn {
            code: 0x61,
            dst: 1,
            src: 6,
            off: -8,
            imm: -2,
        };
        for e in [Endian::Little, Endian::Big] {
            assert_eq!(Insn::decode(e, i.encode(e)), i);
        }
        assert_eq!(i.encode(Endian::Little)[1], 0x61);
        assert_eq!(i.encode(Endian::Big)[1], 0x16);
        assert_eq!(&i.encode(Endian::Big)[2..4], &[0xff, 0xf8]);
    }

    #[test]
    fn mem_size() {
        let ldxw = Insn {
            code: 0x61,
            ..Insn::default()
        };
        assert_eq!(ldxw.mem_size(), 4);
        let ldxdw = ldxw.with_mem_size(8).unwrap();
        assert_eq!(ldxdw.code, 0x79);
        assert_eq!(ldxdw.mem_size(), 8);
        assert_eq!(ldxw.with_mem_size(3), None);
        assert_eq!(ldxw.with_mem_size(1).unwrap().code, 0x71);
    }

    #[test]
    fn display() {
        assert_eq!(
            Insn::call(0xbad2310).to_string(),
            "code=0x85 dst=0 src=0 off=0 imm=195896080"
        );
    }
}
