//! A tiny hand-rolled BTF writer for this crate's tests.
//!
//! Deliberately independent of `btf-core`: these tests check what the kernel
//! says about bytes, so the bytes are spelled out here, native-endian as the
//! kernel requires.

/// BTF kind numbers used by the tests.
const KIND_INT: u32 = 1;
const KIND_PTR: u32 = 2;
const KIND_STRUCT: u32 = 4;

/// Builds a BTF blob type by type; type ids start at 1 in call order.
pub(crate) struct BtfBuilder {
    types: Vec<u8>,
    strings: Vec<u8>,
}

impl BtfBuilder {
    pub(crate) fn new() -> BtfBuilder {
        BtfBuilder {
            types: Vec::new(),
            // Offset 0 is the empty name.
            strings: vec![0],
        }
    }

    fn name(&mut self, name: &str) -> u32 {
        if name.is_empty() {
            return 0;
        }
        let off = self.strings.len() as u32;
        self.strings.extend_from_slice(name.as_bytes());
        self.strings.push(0);
        off
    }

    fn word(&mut self, word: u32) {
        self.types.extend_from_slice(&word.to_ne_bytes());
    }

    /// `struct btf_type`: name, info (kind and vlen), size-or-type.
    fn head(&mut self, name: &str, kind: u32, vlen: u32, size_or_type: u32) {
        let name_off = self.name(name);
        self.word(name_off);
        self.word((kind << 24) | vlen);
        self.word(size_or_type);
    }

    /// An integer of `size` bytes using all its bits.
    pub(crate) fn int(mut self, name: &str, size: u32, signed: bool) -> BtfBuilder {
        self.head(name, KIND_INT, 0, size);
        let encoding = u32::from(signed);
        self.word((encoding << 24) | (size * 8));
        self
    }

    /// A pointer to type `target`. Pointers must be anonymous; tests pass a
    /// name to provoke the kernel.
    pub(crate) fn ptr(mut self, name: &str, target: u32) -> BtfBuilder {
        self.head(name, KIND_PTR, 0, target);
        self
    }

    /// A struct of `size` bytes with `(name, type, bit offset)` members.
    pub(crate) fn structure(
        mut self,
        name: &str,
        size: u32,
        members: &[(&str, u32, u32)],
    ) -> BtfBuilder {
        self.head(name, KIND_STRUCT, members.len() as u32, size);
        for &(member, ty, bits) in members {
            let name_off = self.name(member);
            self.word(name_off);
            self.word(ty);
            self.word(bits);
        }
        self
    }

    /// Header, types, strings.
    pub(crate) fn build(&self) -> Vec<u8> {
        let type_len = self.types.len() as u32;
        let str_len = self.strings.len() as u32;
        let mut out = Vec::new();
        out.extend_from_slice(&0xeb9f_u16.to_ne_bytes());
        out.push(1); // version
        out.push(0); // flags
        for word in [24, 0, type_len, type_len, str_len] {
            out.extend_from_slice(&u32::to_ne_bytes(word));
        }
        out.extend_from_slice(&self.types);
        out.extend_from_slice(&self.strings);
        out
    }
}
