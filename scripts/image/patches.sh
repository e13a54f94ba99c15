#!/bin/bash
# Work on the Xen patch series with git.
#
#   scripts/image/patches.sh edit     build/xen-patchdev/: a git repository
#                                     whose commit tagged `base` is Debian's
#                                     tree plus the ABI header, the next one,
#                                     tagged `overlay`, adds Carrefour's plain
#                                     files (xen-patches/{xen,tools}/), then
#                                     one commit per patch of the series.
#                                     Edit, commit, `git rebase -i overlay`...
#   scripts/image/patches.sh export   writes the commits after `overlay` back
#                                     to xen-patches/ as format-patch files
#                                     and rewrites `series` in order.
#
# Numbers and comments of `series` are kept: a commit whose subject names
# an existing patch keeps that patch's number and the comment lines above
# it; a new commit takes the number after its predecessor's (which must be
# free: renumber by hand otherwise).  The patches change Xen's existing
# files only: a commit that touches a plain file of the overlay or the ABI
# header is refused (edit those in the project, where they live).
#
# Then `make image` applies the series to a fresh copy, as usual.
set -euo pipefail
. "$(dirname "$0")/common.sh"

DEV=$BUILD/xen-patchdev
IDENTITY_NAME="Carrefour for Xen"
IDENTITY_EMAIL="carrefour-xen@invalid"
git_dev() {
    git -C "$DEV" -c user.name="$IDENTITY_NAME" \
        -c user.email="$IDENTITY_EMAIL" "$@"
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
    local f
    for f in $(overlay_files); do
        mkdir -p "$DEV/$(dirname "$f")"
        cp "$PATCHES/$f" "$DEV/$f"
        git_dev add -f "$f"
    done
    git_dev commit -q --allow-empty -m "Carrefour's plain files (xen-patches/{xen,tools}/)"
    git_dev tag overlay
    local p
    for p in $(series_patches); do
        git_dev am -q --keep-cr "$PATCHES/$p" ||
            die "xen-patches/$p does not apply (git am; see git -C ${DEV#$TOP/} am --show-current-patch)"
    done
    log "${DEV#$TOP/}: $(git_dev rev-list --count overlay..HEAD) patches on top of tag overlay"
}

# The file-name slug format-patch gives a patch: its name without the
# number.
slug() { basename "$1" | cut -c6-; }

export_series() {
    [ -d "$DEV/.git" ] || die "no ${DEV#$TOP/}: run '$0 edit' first"
    git_dev diff --quiet base overlay -- "$ABI_HEADER_IN_TREE" ||
        die "a commit changes $ABI_HEADER_IN_TREE: change ${ABI_HEADER#$TOP/} instead"
    local c f
    for c in $(git_dev rev-list overlay..HEAD); do
        for f in $(git_dev diff-tree --no-commit-id --name-only -r "$c"); do
            [ "$f" != "$ABI_HEADER_IN_TREE" ] ||
                die "commit $(git_dev log -1 --format=%s "$c") changes the ABI header: change ${ABI_HEADER#$TOP/} instead"
            ! overlay_files | grep -qxF "$f" ||
                die "commit '$(git_dev log -1 --format=%s "$c")' changes $f: edit xen-patches/$f instead"
        done
        git_dev log -1 --format=%B "$c" | grep -q '^Signed-off-by: ' ||
            die "commit '$(git_dev log -1 --format=%s "$c")' has no Signed-off-by (git commit -s)"
    done

    local tmp
    tmp=$(mktemp -d)
    git_dev format-patch -q --no-signature --zero-commit --no-numbered \
        -o "$tmp/new" overlay..HEAD
    # The old series: number by slug, and the comment lines above each.
    awk -v dir="$tmp" '
        /^[[:space:]]*(#|$)/ { c = c $0 "\n"; next }
        { n = substr($1, 1, 4); printf "%s", c > (dir "/comments-" n)
          print substr($1, 6), n > (dir "/numbers"); c = ""; seen = 1 }
        END { printf "%s", c > (dir "/comments-" (seen ? "tail" : "0001")) }' \
        "$PATCHES/series"
    : >>"$tmp/numbers"

    local prev=0 n s used=" " out=()
    for f in "$tmp"/new/*.patch; do
        [ -e "$f" ] || continue
        s=$(slug "$f")
        n=$(awk -v s="$s" '$1 == s { print $2 }' "$tmp/numbers")
        if [ -z "$n" ]; then
            n=$(printf '%04d' $((10#$prev + 1)))
            ! awk '{ print $2 }' "$tmp/numbers" | grep -qx "$n" ||
                die "new patch $s would take number $n, which the series uses: renumber by hand"
        fi
        [ "${used/ $n /}" = "$used" ] || die "two patches would be numbered $n"
        [ $((10#$n)) -gt $((10#$prev)) ] ||
            die "patch $n-$s comes after $prev in the commits: reorder the series by hand"
        used="$used$n "
        prev=$n
        out+=("$f:$n-$s")
    done

    rm -f "$PATCHES"/[0-9][0-9][0-9][0-9]-*.patch
    : >"$PATCHES/series"
    local entry
    for entry in "${out[@]}"; do
        f=${entry%%:*}
        s=${entry#*:}
        n=${s:0:4}
        [ ! -e "$tmp/comments-$n" ] || cat "$tmp/comments-$n" >>"$PATCHES/series"
        mv "$f" "$PATCHES/$s"
        echo "$s" >>"$PATCHES/series"
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
