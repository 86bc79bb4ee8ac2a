#!/usr/bin/env python3
# SPDX-License-Identifier: MIT OR Apache-2.0
"""Regenerate the seed corpora under fuzz/corpus/ from the committed fixtures.

    python3 fuzz/make_corpus.py

Seeds are small (< 100 KB each) and few: raw .BTF and .BTF.ext sections
extracted from fixtures/obj, a few whole objects, the split pair, and two
hand-made blobs for paths the fixtures do not reach (a layout section with an
unknown kind; a 32-byte header). Missing fixtures are skipped. The fuzzer adds
its own finds to the same directories while running; only these seeds are
committed (see .gitignore)."""

import os
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
FIX = os.path.join(HERE, "..", "fixtures")
OUT = os.path.join(HERE, "corpus")
LIMIT = 100 * 1024


def elf_sections(data):
    """{name: bytes} of a 64-bit ELF file (either byte order)."""
    if data[:4] != b"\x7fELF" or data[4] != 2:
        return {}
    e = "<" if data[5] == 1 else ">"
    shoff, = struct.unpack_from(e + "Q", data, 0x28)
    shentsize, shnum, shstrndx = struct.unpack_from(e + "HHH", data, 0x3A)

    def shdr(i):
        name, _typ, _flags, _addr, off, size = struct.unpack_from(
            e + "IIQQQQ", data, shoff + i * shentsize)
        return name, off, size

    _, stroff, _ = shdr(shstrndx)
    out = {}
    for i in range(shnum):
        name, off, size = shdr(i)
        end = data.index(b"\0", stroff + name)
        out[data[stroff + name:end].decode()] = data[off:off + size]
    return out


def read(*path):
    p = os.path.join(FIX, *path)
    if not os.path.exists(p):
        print(f"make_corpus: {p} missing, skipped", file=sys.stderr)
        return None
    with open(p, "rb") as f:
        return f.read()


def put(target, name, data):
    if data is None:
        return
    assert len(data) < LIMIT, (target, name, len(data))
    d = os.path.join(OUT, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def section(obj, name):
    data = read("obj", obj)
    return None if data is None else elf_sections(data).get(name)


def layout_unknown_kind(order):
    """32-byte header, a layout section for kinds 0..20, one INT, one record
    of unknown kind 20 (info_sz 4, elem_sz 8, vlen 2) and a PTR to it."""
    e = "<" if order == "el" else ">"
    strings = b"\0int\0newkind\0"
    types = b""
    types += struct.pack(e + "IIII", 1, 1 << 24, 4, (1 << 24) | 32)
    types += struct.pack(e + "III", 5, (20 << 24) | 2, 0) + struct.pack(e + "5I", 1, 2, 3, 4, 5)
    types += struct.pack(e + "III", 0, 2 << 24, 2)
    table = [(0, 0), (4, 0), (0, 0), (12, 0), (0, 12), (0, 12), (0, 8), (0, 0), (0, 0),
             (0, 0), (0, 0), (0, 0), (0, 0), (0, 8), (4, 0), (0, 12), (0, 0), (4, 0),
             (0, 0), (0, 12), (4, 8)]
    layout = b"".join(bytes([i, s]) + struct.pack(e + "H", 0) for i, s in table)
    hdr = struct.pack(e + "HBBI", 0xEB9F, 1, 0, 32)
    hdr += struct.pack(e + "6I", 0, len(types), len(types) + len(layout), len(strings),
                       len(types), len(layout))
    return hdr + types + layout + strings


def main():
    put("parse_btf", "kinds.el.btf", read("raw", "kinds.el.btf"))
    put("parse_btf", "kinds.eb.btf", read("raw", "kinds.eb.btf"))
    put("parse_btf", "split_base.btf", read("raw", "split_base.btf"))
    put("parse_btf", "core.min-6.1.btf", read("raw", "core.min-6.1.btf"))
    put("parse_btf", "tags.el.btf", section("tags.el.o", ".BTF"))
    put("parse_btf", "bitfields.eb.btf", section("bitfields.eb.o", ".BTF"))
    put("parse_btf", "rust_enums.el.btf", section("rust_enums.el.o", ".BTF"))
    put("parse_btf", "layout_unknown_kind.el.btf", layout_unknown_kind("el"))
    put("parse_btf", "layout_unknown_kind.eb.btf", layout_unknown_kind("eb"))

    put("parse_btf_ext", "core.el.btf_ext", section("core.el.o", ".BTF.ext"))
    put("parse_btf_ext", "core.eb.btf_ext", section("core.eb.o", ".BTF.ext"))
    put("parse_btf_ext", "maps_progs.el.btf_ext", section("maps_progs.el.o", ".BTF.ext"))
    put("parse_btf_ext", "tags.eb.btf_ext", section("tags.eb.o", ".BTF.ext"))

    for obj in ["tags.el.o", "bitfields.eb.o", "core.el.o", "rust_enums.eb.o"]:
        put("parse_elf", obj, read("obj", obj))

    base, mod = read("raw", "split_base.btf"), read("raw", "split_mod.btf")
    if base is not None and mod is not None:
        put("parse_split", "split_pair", struct.pack("<H", len(base)) + base + mod)
    kinds = read("raw", "kinds.el.btf")
    if kinds is not None:
        # A cut that leaves an empty split: base only.
        put("parse_split", "base_only", struct.pack("<H", len(kinds)) + kinds)

    # dedup: [batch-size byte][BTF]; 0 feeds a stream one type at a time.
    for name in ["kinds.el.btf", "kinds.eb.btf", "split_base.btf", "core.min-6.1.btf"]:
        btf = read("raw", name)
        if btf is not None:
            put("dedup", "1." + name, b"\x00" + btf)
            put("dedup", "8." + name, b"\x07" + btf)
    rust = section("rust_enums.el.o", ".BTF")
    if rust is not None:
        put("dedup", "3.rust_enums.el.btf", b"\x02" + rust)

    # dwarf2btf: small DWARF objects whole, and raw sections in the target's
    # [u16 len][.debug_abbrev][u16 len][.debug_str][.debug_info] layout.
    for obj in ["bitfields.clang.o", "tags.clang.o", "classes.clang.o", "extras.clang.o",
                "lto.x86_64", "rust_enums.x86_64.o", "kinds.zstd.o"]:
        put("dwarf2btf", obj, read("dwarf", "obj", obj))
    gcc = read("dwarf", "obj", "bitfields.gcc-dwarf4.o")
    if gcc is not None:
        sec = elf_sections(gcc)
        abbrev, strs = sec.get(".debug_abbrev", b""), sec.get(".debug_str", b"")
        raw = struct.pack("<H", len(abbrev)) + abbrev + struct.pack("<H", len(strs)) + strs
        put("dwarf2btf", "bitfields.gcc-dwarf4.raw", raw + sec.get(".debug_info", b""))


if __name__ == "__main__":
    main()
