# Shared by the tests that run the real DVC (requirements-test.txt) next to Plinth on the same
# repositories. Sourced after lib.sh's settings; gives SCRATCH (removed on exit), `dvc`, an S3
# API on loopback shared by both tools, and comparisons of files and trees.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
need_tools
DVC=$TOOLS_BIN/dvc
[ -x "$DVC" ] || { echo "FAIL: $DVC not found: run scripts/setup.sh" >&2; exit 1; }

SCRATCH=$(mktemp -d "${TMPDIR:-/tmp}/plinth-e2e.XXXXXX")
trap 'stop_s3rver; chmod -R u+w "$SCRATCH" 2>/dev/null; rm -rf "$SCRATCH"' EXIT

# DVC must not reach the network nor keep state outside SCRATCH: no analytics, no update
# check, its global and system config, and its site cache (the hash state DB, normally under
# /var/tmp/dvc) all in SCRATCH.
export DVC_NO_ANALYTICS=1
export DVC_GLOBAL_CONFIG_DIR=$SCRATCH/dvc-global DVC_SYSTEM_CONFIG_DIR=$SCRATCH/dvc-system
export DVC_SITE_CACHE_DIR=$SCRATCH/dvc-site
mkdir -p "$DVC_GLOBAL_CONFIG_DIR"
printf '[core]\n    analytics = false\n    check_update = false\n' >"$DVC_GLOBAL_CONFIG_DIR/config"
dvc() { "$DVC" "$@"; }

# same_file A B DESCRIPTION: the two files are byte-identical (a diff is shown when not).
same_file() {
  if ! cmp -s "$1" "$2"; then
    fail "$3: $1 and $2 differ"
    diff "$1" "$2" >&2 || true
  fi
}

# tree_files DIR: every file under DIR (not .git, .dvc/tmp, .dvc/cache) with its mode and md5,
# to compare workspaces.
tree_files() {
  (cd "$1" && find . \( -path ./.git -o -path ./.dvc/tmp -o -path ./.dvc/cache \) -prune -o \
    -type f -printf '%P %m\n' | LC_ALL=C sort | while read -r line; do
    printf '%s %s\n' "$line" "$(md5sum <"${line% *}" | cut -c1-32)"
  done)
}
