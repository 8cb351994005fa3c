#!/usr/bin/env bash
# usage: check_exports.sh LIBRARY HEADER
# Every dynamic symbol the library defines starts with pm_, and every function the header
# declares is among them.
set -euo pipefail
lib=$1 header=$2
defined=$(nm -D --defined-only "$lib" | awk '{print $3}' | sed 's/@.*//' | sort -u)
leaked=$(grep -v '^pm_' <<<"$defined" || true)
if [[ -n $leaked ]]; then
    echo "exported symbols outside pm_*:" >&2
    head -20 <<<"$leaked" >&2
    exit 1
fi
declared=$(grep -oE '\bpm_[a-z0-9_]+\(' "$header" | tr -d '(' | sort -u)
missing=$(comm -23 <(echo "$declared") <(echo "$defined"))
if [[ -n $missing ]]; then
    echo "declared in the header but not exported:" >&2
    echo "$missing" >&2
    exit 1
fi
echo "$(wc -l <<<"$defined") symbols exported, all pm_*, all declared functions present"
