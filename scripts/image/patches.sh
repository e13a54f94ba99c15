#!/bin/bash
# Work on the Xen patch series with git.
#
#   scripts/image/patches.sh edit     build/xen-patchdev/: a git repository
#                                     whose first commit, tagged `base`, is
#                                     Debian's tree plus the ABI header, and
#                                     one commit per patch of the series.
#                                     Edit, commit, `git rebase -i base`...
#   scripts/image/patches.sh export   writes the commits after `base` back to
#                                     xen-patches/ as numbered format-patch
#                                     files and rewrites `series` in order,
#                                     keeping its comment lines (they belong
#                                     to the patch number that follows them).
#
# Then `make image` applies the series to a fresh copy, as usual.
set -euo pipefail
. "$(dirname "$0")/common.sh"

DEV=$BUILD/xen-patchdev
git_dev() {
    git -C "$DEV" -c user.name="Carrefour for Xen" \
        -c user.email="carrefour-xen@invalid" "$@"
}

edit() {
    [ ! -e "$DEV" ] || die "${DEV#$TOP/} exists: export it or remove it first"
    "$TOP/scripts/image/fetch-xen.sh"
    cp -a "$PRISTINE" "$DEV"
    cp "$ABI_HEADER" "$DEV/$ABI_HEADER_IN_TREE"
    git_dev init -q
    git_dev add -A -f .
    git_dev commit -q -m "Debian xen $XEN_DEB_VERSION plus the Carrefour ABI header"
    git_dev tag base
    local p
    for p in $(series_patches); do
        git_dev am -q --keep-cr "$PATCHES/$p" ||
            die "xen-patches/$p does not apply (git am; see git -C ${DEV#$TOP/} am --show-current-patch)"
    done
    log "${DEV#$TOP/}: $(git_dev rev-list --count base..HEAD) patches on top of tag base"
}

export_series() {
    [ -d "$DEV/.git" ] || die "no ${DEV#$TOP/}: run '$0 edit' first"
    git_dev diff --quiet base -- "$ABI_HEADER_IN_TREE" ||
        die "a commit changes $ABI_HEADER_IN_TREE: change ${ABI_HEADER#$TOP/} instead"
    local tmp
    tmp=$(mktemp -d)
    git_dev format-patch -q --no-signature --zero-commit --no-numbered \
        -o "$tmp" base..HEAD
    # Comment lines of the old series, keyed by the number of the next patch.
    awk '/^[[:space:]]*(#|$)/ { c = c $0 "\n"; next }
         { n = substr($1, 1, 4); printf "%s", c > "'"$tmp"'/comments-" n
           c = ""; seen = 1 }
         END { printf "%s", c > "'"$tmp"'/comments-" (seen ? "tail" : "0001") }' \
        "$PATCHES/series"
    rm -f "$PATCHES"/[0-9][0-9][0-9][0-9]-*.patch
    : >"$PATCHES/series"
    local f n
    for f in "$tmp"/[0-9][0-9][0-9][0-9]-*.patch; do
        [ -e "$f" ] || continue
        n=$(basename "$f" | cut -c1-4)
        [ ! -e "$tmp/comments-$n" ] || cat "$tmp/comments-$n" >>"$PATCHES/series"
        mv "$f" "$PATCHES/"
        basename "$f" >>"$PATCHES/series"
    done
    [ ! -e "$tmp/comments-tail" ] || cat "$tmp/comments-tail" >>"$PATCHES/series"
    rm -rf "$tmp"
    log "exported $(series_patches | wc -l) patches to xen-patches/"
}

case "${1:-}" in
edit) edit ;;
export) export_series ;;
*) echo "usage: $0 edit|export" >&2; exit 2 ;;
esac
