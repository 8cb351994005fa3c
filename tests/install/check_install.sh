#!/usr/bin/env bash
# usage: check_install.sh CMAKE BUILD_DIR CONSUMER_SOURCE_DIR CXX
set -euo pipefail
cmake=$1 build=$2 consumer=$3 cxx=$4
work=$(mktemp -d /tmp/pm-install.XXXXXX)
trap 'rm -rf "$work"' EXIT

"$cmake" --install "$build" --prefix "$work/prefix" >"$work/install.log"
test -f "$work/prefix/include/powermanage/common/ulid.hpp"
test -f "$work/prefix/include/powermanage/proto/pm/v1/control.pb.h"

echo "== find_package(powermanage CONFIG)"
"$cmake" -S "$consumer" -B "$work/cmake-build" -G Ninja -DCMAKE_CXX_COMPILER="$cxx" \
    -DCMAKE_PREFIX_PATH="$work/prefix" >"$work/configure.log"
"$cmake" --build "$work/cmake-build" >"$work/build.log"
"$work/cmake-build/consumer"

echo "== pkg-config powermanage"
pcdir=$(dirname "$(find "$work/prefix" -name powermanage.pc | head -1)")
flags=$(PKG_CONFIG_PATH=$pcdir pkg-config --cflags --libs powermanage)
# shellcheck disable=SC2086
"$cxx" -o "$work/consumer-pc" "$consumer/main.cpp" $flags
"$work/consumer-pc"
