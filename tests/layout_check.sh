#!/usr/bin/env bash
# The house's walls (../DESIGN.md, README.md "Layout"), checked from the
# #include lines of the tree:
#   - plugins/ include only rnnlab/plugin.h (and rnnlab/portable_math.h)
#     and plugins/ headers;
#   - core/ includes only core/ and include/ (never lab/ or cli/);
#   - lab/ includes core/ and lab/, never cli/;
#   - no circle of includes between the modules of core/ or of lab/ (a
#     module is NAME.c with NAME.h).
# Prints each violation and exits 1 if there is any.
set -uo pipefail
cd "$(dirname "$0")/.."
status=0
bad() { echo "layout: $*"; status=1; }

# quoted includes of a file: one per line
incs() { sed -n 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*"\([^"]*\)".*/\1/p' "$1"; }

for f in plugins/*/*.c plugins/*.h plugins/*/*.h; do
  [ -f "$f" ] || continue
  for i in $(incs "$f"); do
    case "$i" in
      rnnlab/plugin.h|rnnlab/portable_math.h) ;;
      */*) case "$i" in ../*.h) [ -f "$(dirname "$f")/$i" ] || bad "$f includes $i";; *) bad "$f includes $i (plugins see only include/rnnlab/)";; esac ;;
      *) [ -f "$(dirname "$f")/$i" ] || bad "$f includes $i (plugins see only include/rnnlab/)" ;;
    esac
  done
done
for f in core/*.c core/*.h; do
  for i in $(incs "$f"); do
    case "$i" in
      rnnlab/plugin.h|rnnlab/portable_math.h|rnnlab_build.h) ;;
      */*) bad "$f includes $i (core/ includes only its own headers and include/)" ;;
      *) [ -f "core/$i" ] || bad "$f includes $i, which is not in core/" ;;
    esac
  done
done
for f in lab/*.c lab/*.h; do
  for i in $(incs "$f"); do
    case "$i" in
      core/*|rnnlab/plugin.h|rnnlab/portable_math.h) ;;
      cli/*) bad "$f includes $i (lab/ must not depend on the command line)" ;;
      */*) bad "$f includes $i" ;;
      *) [ -f "lab/$i" ] || bad "$f includes $i, which is not in lab/" ;;
    esac
  done
done

# Circles: module edges A -> B for every "B.h" included by A.c or A.h.
for room in core lab; do
  edges=$(for f in $room/*.c $room/*.h; do
    a=$(basename "$f"); a=${a%.*}
    for i in $(incs "$f"); do
      b=${i#$room/}; case "$b" in */*|rnnlab_build.h) continue;; esac
      b=${b%.h}; [ "$a" != "$b" ] && [ -f "$room/$b.h" ] && echo "$a $b"
    done
  done | sort -u)
  cycle=$(echo "$edges" | awk '
    NF == 2 { adj[$1] = adj[$1] " " $2; nodes[$1]; nodes[$2] }
    function dfs(u,   n, k, v, list) {
      state[u] = 1; stack[++depth] = u
      n = split(adj[u], list, " ")
      for (k = 1; k <= n; k++) {
        v = list[k]
        if (state[v] == 1) { path = v; for (d = depth; d >= 1 && stack[d] != v; d--) path = stack[d] " -> " path; print v " -> " path; exit 0 }
        if (!state[v]) dfs(v)
      }
      state[u] = 2; depth--
    }
    END { for (u in nodes) if (!state[u]) dfs(u) }')
  [ -z "$cycle" ] || bad "circle of includes in $room/: $cycle"
done
[ $status -eq 0 ] && echo "layout: ok (plugins -> include; core -> include; lab -> core; no circles)"
exit $status
