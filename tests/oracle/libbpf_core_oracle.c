/* SPDX-License-Identifier: MIT OR Apache-2.0 */
/*
 * libbpf_core_oracle.c - drive the system libbpf's CO-RE engine on one BPF
 * object and one target BTF, and print everything a test needs to compare
 * btfkit against it. Built by tests/relocate_libbpf.rs at test time:
 *
 *     cc -O1 libbpf_core_oracle.c -o oracle -lbpf -lelf -lz
 *
 * Usage: oracle OBJ TARGET_BTF [--only PROG] [--run PROG SIZE]
 *
 * Output (stdout, one record per line):
 *   SYM <section> <name> <first insn> <insn count>   every STT_FUNC symbol
 *   PROG <name> <section> <prog type> <insn count>   entry programs, before load
 *   <LEVEL> libbpf: ...                              libbpf's own messages,
 *                                                    all levels, LEVEL is
 *                                                    WARN/INFO/DEBUG
 *   RESULT <err>                                     bpf_object__load()'s return
 *   INSNS <name> <count>                             then one PINSN line per insn:
 *   PINSN <name> <idx> code=0x%02x dst=%u src=%u off=%d imm=%d
 *   RUN <name> err=<e> retval=<r> size=<n>           with --run (test_run)
 *   DATA_OUT <hex>
 *
 * bpf_object__load() needs root. In libbpf 1.1 CO-RE runs for every
 * autoloaded (sub)program before any program is loaded, so the CO-RE lines
 * are complete even when the verifier later rejects a program.
 */
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/bpf.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

static int print_all(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	static const char *const names[] = { "WARN", "INFO", "DEBUG" };

	printf("%s ", level <= LIBBPF_DEBUG ? names[level] : "LEVEL?");
	vprintf(fmt, ap);
	return 0;
}

/* The function symbols, so program-relative instruction numbers can be
 * mapped back to section-relative ones (libbpf does not export them). */
static int print_symbols(const char *path)
{
	int fd = open(path, O_RDONLY);
	Elf *elf;
	Elf_Scn *scn = NULL;
	size_t shstrndx;

	if (fd < 0 || elf_version(EV_CURRENT) == EV_NONE)
		return -1;
	elf = elf_begin(fd, ELF_C_READ, NULL);
	if (!elf || elf_getshdrstrndx(elf, &shstrndx))
		return -1;
	while ((scn = elf_nextscn(elf, scn))) {
		GElf_Shdr sh;
		Elf_Data *data;

		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_SYMTAB)
			continue;
		data = elf_getdata(scn, NULL);
		for (size_t i = 0; data && i < sh.sh_size / sh.sh_entsize; i++) {
			GElf_Sym sym;
			GElf_Shdr tsh;
			Elf_Scn *tscn;

			if (!gelf_getsym(data, i, &sym) ||
			    GELF_ST_TYPE(sym.st_info) != STT_FUNC ||
			    !(tscn = elf_getscn(elf, sym.st_shndx)) ||
			    !gelf_getshdr(tscn, &tsh))
				continue;
			printf("SYM %s %s %llu %llu\n",
			       elf_strptr(elf, shstrndx, tsh.sh_name),
			       elf_strptr(elf, sh.sh_link, sym.st_name),
			       (unsigned long long)sym.st_value / 8,
			       (unsigned long long)sym.st_size / 8);
		}
	}
	elf_end(elf);
	close(fd);
	return 0;
}

static void print_insns(const struct bpf_program *prog)
{
	const struct bpf_insn *in = bpf_program__insns(prog);
	size_t n = bpf_program__insn_cnt(prog);

	printf("INSNS %s %zu\n", bpf_program__name(prog), n);
	for (size_t i = 0; i < n; i++)
		printf("PINSN %s %zu code=0x%02x dst=%u src=%u off=%d imm=%d\n",
		       bpf_program__name(prog), i, in[i].code, in[i].dst_reg,
		       in[i].src_reg, in[i].off, in[i].imm);
}

static void run(struct bpf_program *prog, unsigned size)
{
	unsigned char *in = calloc(1, size), *out = calloc(1, size);
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = in, .data_out = out,
		    .data_size_in = size, .data_size_out = size, .repeat = 1);
	int err;

	for (unsigned i = 0; i < size; i++)
		in[i] = (unsigned char)i;
	err = bpf_prog_test_run_opts(bpf_program__fd(prog), &opts);
	printf("RUN %s err=%d retval=%u size=%u\nDATA_OUT ", bpf_program__name(prog),
	       err ? -errno : 0, opts.retval, opts.data_size_out);
	for (unsigned i = 0; i < opts.data_size_out && i < size; i++)
		printf("%02x", out[i]);
	printf("\n");
	free(in);
	free(out);
}

int main(int argc, char **argv)
{
	const char *only = NULL, *run_name = NULL;
	unsigned run_size = 0;
	struct bpf_program *prog;
	struct bpf_object *obj;
	int err;

	if (argc < 3) {
		fprintf(stderr, "usage: %s OBJ TARGET_BTF [--only PROG] [--run PROG SIZE]\n", argv[0]);
		return 2;
	}
	for (int i = 3; i < argc; i++) {
		if (!strcmp(argv[i], "--only") && i + 1 < argc) {
			only = argv[++i];
		} else if (!strcmp(argv[i], "--run") && i + 2 < argc) {
			run_name = argv[++i];
			run_size = (unsigned)strtoul(argv[++i], NULL, 0);
		} else {
			fprintf(stderr, "unknown argument %s\n", argv[i]);
			return 2;
		}
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	libbpf_set_print(print_all);
	if (print_symbols(argv[1]))
		printf("SYMERR cannot read symbols of %s\n", argv[1]);

	LIBBPF_OPTS(bpf_object_open_opts, opts, .btf_custom_path = argv[2]);
	obj = bpf_object__open_file(argv[1], &opts);
	if (!obj) {
		printf("RESULT %d\nOPENFAIL\n", -errno);
		return 0;
	}
	bpf_object__for_each_program(prog, obj) {
		/* Sections libbpf cannot type (e.g. "socket/x") load as filters. */
		if (bpf_program__type(prog) == BPF_PROG_TYPE_UNSPEC)
			bpf_program__set_type(prog, BPF_PROG_TYPE_SOCKET_FILTER);
		if (only)
			bpf_program__set_autoload(prog, !strcmp(bpf_program__name(prog), only));
		printf("PROG %s %s %d %zu\n", bpf_program__name(prog),
		       bpf_program__section_name(prog), bpf_program__type(prog),
		       bpf_program__insn_cnt(prog));
	}
	err = bpf_object__load(obj);
	printf("RESULT %d\n", err);
	bpf_object__for_each_program(prog, obj) {
		if (bpf_program__autoload(prog))
			print_insns(prog);
		if (!err && run_name && !strcmp(bpf_program__name(prog), run_name))
			run(prog, run_size);
	}
	bpf_object__close(obj);
	return 0;
}
