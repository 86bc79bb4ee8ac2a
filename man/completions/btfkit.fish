# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_btfkit_global_optspecs
    string join \n color= h/help V/version
end

function __fish_btfkit_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_btfkit_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_btfkit_using_subcommand
    set -l cmd (__fish_btfkit_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c btfkit -n "__fish_btfkit_needs_command" -l color -d 'When to colour output: auto (only on a terminal, unless NO_COLOR is set), always, or never' -r -f -a "auto\t'Only when stdout is a terminal and NO_COLOR is unset'
always\t'Always'
never\t'Never'"
complete -c btfkit -n "__fish_btfkit_needs_command" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c btfkit -n "__fish_btfkit_needs_command" -s V -l version -d 'Print version'
complete -c btfkit -n "__fish_btfkit_needs_command" -f -a "dump" -d 'Print the types of a BTF file, ELF object or kernel module'
complete -c btfkit -n "__fish_btfkit_needs_command" -f -a "dedup" -d 'Merge and deduplicate BTF (libbpf\'s btf__dedup), writing raw BTF'
complete -c btfkit -n "__fish_btfkit_needs_command" -f -a "relocate" -d 'Apply a BPF object\'s CO-RE relocations against a kernel\'s BTF'
complete -c btfkit -n "__fish_btfkit_needs_command" -f -a "check" -d 'Check on which kernels a BPF object\'s CO-RE relocations succeed'
complete -c btfkit -n "__fish_btfkit_needs_command" -f -a "dwarf2btf" -d 'Generate BTF from DWARF debug info, like `pahole -J`'
complete -c btfkit -n "__fish_btfkit_needs_command" -f -a "completions" -d 'Print shell completions for btfkit'
complete -c btfkit -n "__fish_btfkit_needs_command" -f -a "man" -d 'Write btfkit\'s man pages into a directory'
complete -c btfkit -n "__fish_btfkit_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c btfkit -n "__fish_btfkit_using_subcommand dump" -s B -l base -d 'Base BTF for split BTF (defaults to /sys/kernel/btf/vmlinux for /sys/kernel/btf/MODULE)' -r -F
complete -c btfkit -n "__fish_btfkit_using_subcommand dump" -s f -l format -d 'Output format' -r -f -a "raw\t'bpftool\'s raw listing, byte for byte'
json\t'One JSON document (schema in `btfkit help dump` and the README)'
summary\t'A table of counts and bytes per kind, string section size and the largest types'"
complete -c btfkit -n "__fish_btfkit_using_subcommand dump" -s t -l type -d 'Only types with this name; `*`, `?` and `[...]` globs allowed. Repeatable (any of them matches)' -r
complete -c btfkit -n "__fish_btfkit_using_subcommand dump" -s k -l kind -d 'Only types of this kind (bpftool\'s spelling, any case: struct, func_proto). Repeatable' -r
complete -c btfkit -n "__fish_btfkit_using_subcommand dump" -l id -d 'Only the type with this id. Repeatable' -r
complete -c btfkit -n "__fish_btfkit_using_subcommand dump" -l color -d 'When to colour output: auto (only on a terminal, unless NO_COLOR is set), always, or never' -r -f -a "auto\t'Only when stdout is a terminal and NO_COLOR is unset'
always\t'Always'
never\t'Never'"
complete -c btfkit -n "__fish_btfkit_using_subcommand dump" -l ext -d 'Show the object\'s .BTF.ext instead of its types: func_info, line_info and CO-RE relocations with their access paths'
complete -c btfkit -n "__fish_btfkit_using_subcommand dump" -l closure -d 'Also show every type the selected types refer to, transitively. Ids are kept as in the input, so lines match the full dump and the ids in verifier logs'
complete -c btfkit -n "__fish_btfkit_using_subcommand dump" -l pretty -d 'With --format json: indent the output'
complete -c btfkit -n "__fish_btfkit_using_subcommand dump" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c btfkit -n "__fish_btfkit_using_subcommand dedup" -s o -l output -d 'Where to write the raw BTF (replaced atomically)' -r -F
complete -c btfkit -n "__fish_btfkit_using_subcommand dedup" -s B -l base -d 'Write split BTF over this base (raw BTF or an ELF file with .BTF, e.g. /sys/kernel/btf/vmlinux)' -r -F
complete -c btfkit -n "__fish_btfkit_using_subcommand dedup" -l color -d 'When to colour output: auto (only on a terminal, unless NO_COLOR is set), always, or never' -r -f -a "auto\t'Only when stdout is a terminal and NO_COLOR is unset'
always\t'Always'
never\t'Never'"
complete -c btfkit -n "__fish_btfkit_using_subcommand dedup" -l keep-strings -d 'Keep the string section\'s order and unreferenced strings (as pahole does) instead of rebuilding it in first-use order'
complete -c btfkit -n "__fish_btfkit_using_subcommand dedup" -l stats -d 'Print the number of types per kind before and after'
complete -c btfkit -n "__fish_btfkit_using_subcommand dedup" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c btfkit -n "__fish_btfkit_using_subcommand relocate" -l kernel-btf -d 'Target BTF: raw BTF or an ELF file with a .BTF section, either may be gzip-compressed (BTFHub\'s vmlinux.btf.gz)' -r -F
complete -c btfkit -n "__fish_btfkit_using_subcommand relocate" -l module-btf -d 'Module BTF (split BTF on --kernel-btf), searched when the kernel BTF has no candidate for a type, as libbpf does. Repeatable' -r -F
complete -c btfkit -n "__fish_btfkit_using_subcommand relocate" -s o -l output -d 'Write the relocated object here (replaced atomically). Without it, only the report is printed' -r -F
complete -c btfkit -n "__fish_btfkit_using_subcommand relocate" -s f -l format -d 'Report format' -r -f -a "table\t'A table'
json\t'One JSON document (schema in the README)'"
complete -c btfkit -n "__fish_btfkit_using_subcommand relocate" -l semantics -d 'Whose rules to follow where libbpf\'s results depend on record order or differ from btfkit\'s (see the README)' -r -f -a "btfkit\t'Order-independent results, unsigned enum values zero-extended, LSHIFT by the object\'s byte order'
libbpf\t'Reproduce libbpf exactly (master), including its order dependence'"
complete -c btfkit -n "__fish_btfkit_using_subcommand relocate" -l color -d 'When to colour output: auto (only on a terminal, unless NO_COLOR is set), always, or never' -r -f -a "auto\t'Only when stdout is a terminal and NO_COLOR is unset'
always\t'Always'
never\t'Never'"
complete -c btfkit -n "__fish_btfkit_using_subcommand relocate" -l explain -d 'For each relocation that is not ok: the candidates considered, the first member or enumerator that did not match, the nearest names in the target and the source line'
complete -c btfkit -n "__fish_btfkit_using_subcommand relocate" -l dump-insns -d 'Instead of the report, print every instruction of every code section after CO-RE: `INSN <section> <index> code=0x.. dst= src= off= imm=`'
complete -c btfkit -n "__fish_btfkit_using_subcommand relocate" -l pretty -d 'With --format json: indent the output'
complete -c btfkit -n "__fish_btfkit_using_subcommand relocate" -s q -l quiet -d 'Print no report (errors still go to stderr); with -o, just write'
complete -c btfkit -n "__fish_btfkit_using_subcommand relocate" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c btfkit -n "__fish_btfkit_using_subcommand check" -l kernel-btf -d 'A target BTF (raw or ELF, optionally gzip-compressed), or a directory whose files are all target BTFs. Repeatable' -r -F
complete -c btfkit -n "__fish_btfkit_using_subcommand check" -s f -l format -d 'Report format' -r -f -a "table\t'A table'
json\t'One JSON document (schema in the README)'"
complete -c btfkit -n "__fish_btfkit_using_subcommand check" -l semantics -d 'Whose rules to follow (see `btfkit relocate --semantics`)' -r -f -a "btfkit\t'Order-independent results, unsigned enum values zero-extended, LSHIFT by the object\'s byte order'
libbpf\t'Reproduce libbpf exactly (master), including its order dependence'"
complete -c btfkit -n "__fish_btfkit_using_subcommand check" -s j -l jobs -d 'Number of targets processed at once (default: one per core)' -r
complete -c btfkit -n "__fish_btfkit_using_subcommand check" -l color -d 'When to colour output: auto (only on a terminal, unless NO_COLOR is set), always, or never' -r -f -a "auto\t'Only when stdout is a terminal and NO_COLOR is unset'
always\t'Always'
never\t'Never'"
complete -c btfkit -n "__fish_btfkit_using_subcommand check" -l pretty -d 'With --format json: indent the output'
complete -c btfkit -n "__fish_btfkit_using_subcommand check" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c btfkit -n "__fish_btfkit_using_subcommand dwarf2btf" -s o -l output -d 'Write raw BTF to FILE' -r -F
complete -c btfkit -n "__fish_btfkit_using_subcommand dwarf2btf" -l elf-output -d 'Write a copy of INPUT with a .BTF section (added, or replaced) to FILE' -r -F
complete -c btfkit -n "__fish_btfkit_using_subcommand dwarf2btf" -s B -l base -d 'Base BTF (vmlinux\'s .BTF, raw or in an ELF file): write split BTF holding only what BASE lacks, as for a kernel module' -r -F
complete -c btfkit -n "__fish_btfkit_using_subcommand dwarf2btf" -s j -l jobs -d 'Threads decoding compilation units; 0 (the default) means one per CPU. With fewer threads than CPUs, a spare CPU deduplicates the types of units already decoded while the others decode the rest. The output does not depend on it' -r
complete -c btfkit -n "__fish_btfkit_using_subcommand dwarf2btf" -l mode -d 'Which functions and variables to encode: kernel (pahole\'s choice: functions with a symbol, per-CPU variables), program (every function with code, every global and static variable), or auto (kernel for vmlinux and modules)' -r -f -a "auto\t'Kernel rules for vmlinux and modules, program rules otherwise'
kernel\t'pahole\'s rules'
program\t'Every function with code and every variable with static storage'"
complete -c btfkit -n "__fish_btfkit_using_subcommand dwarf2btf" -l rust-names -d 'Names the kernel rejects (Rust\'s `Option<&u8>` or `(u8, u32)`, C++\'s `ns::T`): sanitize rewrites them as bpf-linker does (`Option_3C__26_u8_3E_`) so that the BTF loads; keep leaves them as rustc wrote them, matching what rustc\'s own BPF backend emits. Valid names are never changed, so C is unaffected' -r -f -a "sanitize\t'Rewrite them so that the kernel accepts them'
keep\t'Keep them as they are in DWARF'"
complete -c btfkit -n "__fish_btfkit_using_subcommand dwarf2btf" -l arrays -d 'Multi-dimensional arrays (`int m[3][4]`): nested ARRAYs as clang\'s BPF backend writes them, or one flat ARRAY as pahole does. auto: flat for split BTF over a base with flat arrays (a pahole-made vmlinux BTF, whose types a module\'s must match to deduplicate), else nested' -r -f -a "auto\t'Flat for split BTF over a pahole-made base, else nested'
nested\t'ARRAY of ARRAY'
flat\t'One ARRAY of all elements'"
complete -c btfkit -n "__fish_btfkit_using_subcommand dwarf2btf" -l color -d 'When to colour output: auto (only on a terminal, unless NO_COLOR is set), always, or never' -r -f -a "auto\t'Only when stdout is a terminal and NO_COLOR is unset'
always\t'Always'
never\t'Never'"
complete -c btfkit -n "__fish_btfkit_using_subcommand dwarf2btf" -l in-place -d 'Add or replace the .BTF section of INPUT itself'
complete -c btfkit -n "__fish_btfkit_using_subcommand dwarf2btf" -l no-dedup -d 'Do not deduplicate: one copy of every type per compilation unit, as pahole\'s encoder has it before btf__dedup'
complete -c btfkit -n "__fish_btfkit_using_subcommand dwarf2btf" -l verify-load -d 'Load the result into the running kernel (BPF_BTF_LOAD, needs CAP_BPF) and fail if the kernel rejects it'
complete -c btfkit -n "__fish_btfkit_using_subcommand dwarf2btf" -l stats -d 'Print counts and timings to stderr'
complete -c btfkit -n "__fish_btfkit_using_subcommand dwarf2btf" -s q -l quiet -d 'No progress bar and no warnings'
complete -c btfkit -n "__fish_btfkit_using_subcommand dwarf2btf" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c btfkit -n "__fish_btfkit_using_subcommand completions" -l color -d 'When to colour output: auto (only on a terminal, unless NO_COLOR is set), always, or never' -r -f -a "auto\t'Only when stdout is a terminal and NO_COLOR is unset'
always\t'Always'
never\t'Never'"
complete -c btfkit -n "__fish_btfkit_using_subcommand completions" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c btfkit -n "__fish_btfkit_using_subcommand man" -l color -d 'When to colour output: auto (only on a terminal, unless NO_COLOR is set), always, or never' -r -f -a "auto\t'Only when stdout is a terminal and NO_COLOR is unset'
always\t'Always'
never\t'Never'"
complete -c btfkit -n "__fish_btfkit_using_subcommand man" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c btfkit -n "__fish_btfkit_using_subcommand help; and not __fish_seen_subcommand_from dump dedup relocate check dwarf2btf completions man help" -f -a "dump" -d 'Print the types of a BTF file, ELF object or kernel module'
complete -c btfkit -n "__fish_btfkit_using_subcommand help; and not __fish_seen_subcommand_from dump dedup relocate check dwarf2btf completions man help" -f -a "dedup" -d 'Merge and deduplicate BTF (libbpf\'s btf__dedup), writing raw BTF'
complete -c btfkit -n "__fish_btfkit_using_subcommand help; and not __fish_seen_subcommand_from dump dedup relocate check dwarf2btf completions man help" -f -a "relocate" -d 'Apply a BPF object\'s CO-RE relocations against a kernel\'s BTF'
complete -c btfkit -n "__fish_btfkit_using_subcommand help; and not __fish_seen_subcommand_from dump dedup relocate check dwarf2btf completions man help" -f -a "check" -d 'Check on which kernels a BPF object\'s CO-RE relocations succeed'
complete -c btfkit -n "__fish_btfkit_using_subcommand help; and not __fish_seen_subcommand_from dump dedup relocate check dwarf2btf completions man help" -f -a "dwarf2btf" -d 'Generate BTF from DWARF debug info, like `pahole -J`'
complete -c btfkit -n "__fish_btfkit_using_subcommand help; and not __fish_seen_subcommand_from dump dedup relocate check dwarf2btf completions man help" -f -a "completions" -d 'Print shell completions for btfkit'
complete -c btfkit -n "__fish_btfkit_using_subcommand help; and not __fish_seen_subcommand_from dump dedup relocate check dwarf2btf completions man help" -f -a "man" -d 'Write btfkit\'s man pages into a directory'
complete -c btfkit -n "__fish_btfkit_using_subcommand help; and not __fish_seen_subcommand_from dump dedup relocate check dwarf2btf completions man help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
