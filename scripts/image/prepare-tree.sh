#!/bin/bash
# Assembles the Xen source the image is built from, and brings the build
# tree up to date with it:
#
#   build/xen-src/<pristine>  Debian's tree, as fetched
#        | copy, + hypercall-abi/include/public/carrefour.h
#        |        -> xen/include/public/carrefour.h   (the single source)
#        | + xen-patches/series, applied in order with `patch -p1 -F0`
#        |   (changes to Xen's existing files)
#        | + xen-patches/{xen,tools}/: Carrefour's own files, copied in at
#        |   the same paths (each must be new to the tree)
#        v
#   build/xen-stage/          the assembled source, remade from scratch
#        | rsync --checksum: only files whose content changed are written
#        v
#   build/xen/                the build tree; objects stay, so a change of
#                             one patch rebuilds what it touches, not all
#
# Nothing happens when the inputs' hash matches the last run's.  Prints the
# files that changed in build/xen/ to build/stamps/tree-changes.
set -euo pipefail
. "$(dirname "$0")/common.sh"

hash=$(stage_inputs_hash)
stamp=$STAMPS/tree
if [ -e "$stamp" ] && [ "$(cat "$stamp")" = "$hash" ] && [ -d "$TREE" ]; then
    : >"$STAMPS/tree-changes"
    exit 0
fi

[ -d "$PRISTINE" ] || die "no Xen source in ${PRISTINE#$TOP/}: run scripts/image/fetch-xen.sh"
[ -f "$ABI_HEADER" ] || die "no ABI header ${ABI_HEADER#$TOP/}"
[ -f "$PATCHES/series" ] || die "no xen-patches/series"

log "assembling the Xen source (inputs $hash)"
rm -rf "$STAGE"
cp -a "$PRISTINE" "$STAGE"
# The ABI header is part of the base the patches apply to (see
# scripts/image/patches.sh), so that a patch can include it but never
# carries a copy of it.
[ ! -e "$STAGE/$ABI_HEADER_IN_TREE" ] ||
    die "Xen's tree already has $ABI_HEADER_IN_TREE"
cp "$ABI_HEADER" "$STAGE/$ABI_HEADER_IN_TREE"

applied=0
for p in $(series_patches); do
    [ -f "$PATCHES/$p" ] || die "xen-patches/series names $p, which does not exist"
    if ! out=$(cd "$STAGE" && patch -p1 -F0 -N --batch --no-backup-if-mismatch \
            -r - <"$PATCHES/$p" 2>&1); then
        printf '%s\n' "$out" >"$BUILD/patch-failure.log"
        die "xen-patches/$p does not apply to xen $XEN_DEB_VERSION" \
            "(after $applied patches of the series); patch said:
$(printf '%s\n' "$out" | grep -v '^patching file' | head -20)
(full output in build/patch-failure.log)"
    fi
    applied=$((applied + 1))
done
copied=0
for f in $(overlay_files); do
    # An overlay file replacing one of Xen's would hide a change from the
    # series: changes to existing files are patches.
    [ ! -e "$STAGE/$f" ] ||
        die "xen-patches/$f is also in Xen's tree: change Xen's files with a patch"
    mkdir -p "$STAGE/$(dirname "$f")"
    cp "$PATCHES/$f" "$STAGE/$f"
    copied=$((copied + 1))
done
log "applied $applied patches, copied $copied plain files"

# Bring the build tree up to date.  Files the previous series added and this
# one does not are removed; all others are overwritten only if their content
# differs, so make sees new timestamps exactly where the source changed.
mkdir -p "$TREE" "$STAMPS"
(cd "$STAGE" && find . -type f -o -type l | sort) >"$STAMPS/stage-files.new"
if [ -e "$STAMPS/stage-files" ]; then
    comm -23 "$STAMPS/stage-files" "$STAMPS/stage-files.new" |
        while read -r f; do rm -f "$TREE/$f"; echo "deleted $f"; done \
        >"$STAMPS/tree-changes"
else
    : >"$STAMPS/tree-changes"
fi
rsync -rlc --out-format='%n' "$STAGE/" "$TREE/" | grep -v '/$' \
    >>"$STAMPS/tree-changes" || true
mv "$STAMPS/stage-files.new" "$STAMPS/stage-files"
echo "$hash" >"$stamp"
log "$(wc -l <"$STAMPS/tree-changes") files changed in ${TREE#$TOP/}"
