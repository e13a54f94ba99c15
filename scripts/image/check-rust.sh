#!/bin/bash
# Checks that the Rust code linked into Xen follows Xen's code generation,
# and writes the figures to build/rust-check.txt (copied to out/image/).
#
# Looks at the members of libcarrefour_xen.a that Xen's link pulls in (the
# same `ld -r --start-group lib/lib.a <rust>.a --end-group` as prelink.o,
# traced) and, for reference, at the whole archive:
#   plain `ret`          must be 0: returns go through __x86_return_thunk
#   GOT relocations      must be 0 in what is linked (Xen has no .got)
#   raw indirect call/jmp  must be 0: through __x86_indirect_thunk_*
#   %xmm/%ymm uses       must be 0: Xen does not save FPU state for itself
#   global functions without endbr64 at entry: must be 0 (CET-IBT)
# and that xen-syms has an empty .got and the Rust entry points.
# Exits non-zero when a "must" fails.
set -euo pipefail
. "$(dirname "$0")/common.sh"

X=$TREE/xen
out=$BUILD/rust-check.txt
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

objs=
for d in common drivers lib xsm arch/x86 crypto; do
    [ ! -f "$X/$d/built_in.o" ] || objs="$objs $X/$d/built_in.o"
done
# shellcheck disable=SC2086
ld -r -t -t -o "$work/prelink.o" $objs --start-group "$X/lib/lib.a" "$RUST_LIB" \
    --end-group >"$work/trace" 2>&1 || { cat "$work/trace" >&2; die "trial link failed"; }
sed -n "s|^(${RUST_LIB})||p" "$work/trace" | sort -u >"$work/linked-members"

mkdir "$work/all" "$work/linked"
(cd "$work/all" && ar x "$RUST_LIB")
while read -r m; do cp "$work/all/$m" "$work/linked/"; done <"$work/linked-members"

# figures DIR -> "rets gots raw_indirect xmm no_endbr"
figures() {
    local dir=$1 dis rel
    dis=$work/$(basename "$dir").dis
    rel=$work/$(basename "$dir").rel
    if ! ls "$dir"/*.o >/dev/null 2>&1; then
        echo 0 >"$dir.thunked"; echo 0 >"$dir.returns"; : >"$dir.noendbr"
        echo "0 0 0 0 0"; return
    fi
    objdump -d --no-show-raw-insn "$dir"/*.o 2>/dev/null >"$dis" || true
    objdump -r "$dir"/*.o 2>/dev/null >"$rel" || true
    local rets gots indirect xmm noendbr
    rets=$(grep -cP '^\s+[0-9a-f]+:\s+ret[q]?\s*$' "$dis" || true)
    gots=$(grep -c 'R_X86_64_[A-Z_]*GOT' "$rel" || true)
    indirect=$(grep -cP '^\s+[0-9a-f]+:\s+(call|jmp)[q]?\s+\*' "$dis" || true)
    xmm=$(grep -cE '%[xy]mm[0-9]' "$dis" || true)
    # Global functions whose first instruction is not endbr64.
    for o in "$dir"/*.o; do
        readelf -sW "$o" | awk '$4 == "FUNC" && $5 == "GLOBAL" && $7 != "UND" { print "<" $8 ">:" }'
    done | sort -u >"$work/globals"
    awk '/^[0-9a-f]+ <.*>:$/ { name = $2; getline
             print name, ($0 ~ /endbr64/ ? "endbr" : "none") }' "$dis" |
        sort -u >"$work/entries"
    join "$work/globals" "$work/entries" | grep ' none$' |
        sed 's/^<\(.*\)>: none$/\1/' >"$dir.noendbr" || true
    noendbr=$(wc -l <"$dir.noendbr")
    # For the record: branches through Xen's thunks (relocations to them).
    grep -c '__x86_indirect_thunk_' "$rel" >"$dir.thunked" || true
    grep -c '__x86_return_thunk' "$rel" >"$dir.returns" || true
    echo "$rets $gots $indirect $xmm $noendbr"
}

read -r l_ret l_got l_ind l_xmm l_noendbr < <(figures "$work/linked")
read -r a_ret a_got a_ind a_xmm a_noendbr < <(figures "$work/all")
n_linked=$(wc -l <"$work/linked-members")
n_all=$(ar t "$RUST_LIB" | wc -l)
linked_text=0
if [ "$n_linked" -gt 0 ]; then
    linked_text=$(cd "$work/linked" && size -t ./*.o | awk 'END { print $1 + $2 }')
fi
# Size column of .got in the section headers (hex), if the section exists.
syms_got=$(readelf -SW "$X/xen-syms" | sed -n 's/^ *\[ *[0-9]*\] \.got  *[A-Z]* *[0-9a-f]* [0-9a-f]* \([0-9a-f]*\).*/\1/p')
syms_got=$((16#${syms_got:-0}))
entry=$(nm "$X/xen-syms" | grep -c ' T carrefour_engine_abi_version$' || true)

{
    echo "Rust code in the hypervisor ($(date -u +%F))"
    echo "archive: ${RUST_LIB#$TOP/}, $n_all members, $(stat -c %s "$RUST_LIB") bytes"
    echo "linked into xen-syms: $n_linked members, $linked_text bytes of text+data:"
    sed 's/^/    /' "$work/linked-members"
    printf '%-40s %8s %8s\n' "" linked archive
    printf '%-40s %8s %8s\n' "plain ret" "$l_ret" "$a_ret"
    printf '%-40s %8s %8s\n' "GOT relocations" "$l_got" "$a_got"
    printf '%-40s %8s %8s\n' "raw indirect call/jmp" "$l_ind" "$a_ind"
    printf '%-40s %8s %8s\n' "%xmm/%ymm operands" "$l_xmm" "$a_xmm"
    printf '%-40s %8s %8s\n' "global functions without endbr64" "$l_noendbr" "$a_noendbr"
    printf '%-40s %8s %8s\n' "indirect branches via Xen's thunks" \
        "$(cat "$work/linked.thunked")" "$(cat "$work/all.thunked")"
    printf '%-40s %8s %8s\n' "returns via __x86_return_thunk" \
        "$(cat "$work/linked.returns")" "$(cat "$work/all.returns")"
    if [ -s "$work/all.noendbr" ]; then
        echo "archive functions without endbr64 (not linked unless listed above):"
        sed 's/^/    /' "$work/all.noendbr"
    fi
    echo "xen-syms .got size: $syms_got bytes"
    echo "xen-syms defines carrefour_engine_abi_version: $([ "$entry" = 1 ] && echo yes || echo no)"
} >"$out"
cat "$out"

fail=
[ "$l_ret$l_got$l_ind$l_xmm$l_noendbr" = 00000 ] || fail="the linked Rust code breaks Xen's code generation"
[ "$syms_got" = 0 ] || fail="xen-syms has a non-empty .got"
[ "$entry" = 1 ] || fail="xen-syms lacks carrefour_engine_abi_version"
[ -z "$fail" ] || die "$fail (see build/rust-check.txt)"
