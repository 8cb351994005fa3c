#!/usr/bin/env bash
# usage: check_install.sh CMAKE BUILD_DIR CONSUMER_SOURCE_DIR CXX [C_CONSUMER_DIR CC [PYTEST]]
# With C_CONSUMER_DIR and CC it also builds a C consumer of libpowermanage_c (find_package and
# pkg-config); with PYTEST it runs the installed Python module's installed tests, finding the
# library from the prefix alone (PM_C_LIBRARY unset).
set -euo pipefail
cmake=$1 build=$2 consumer=$3 cxx=$4
c_consumer=${5:-} cc=${6:-} pytest=${7:-}
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

if [[ -n $c_consumer ]]; then
    test -f "$work/prefix/include/powermanage/c/powermanage.h"
    echo "== find_package(powermanage CONFIG) -> powermanage::c"
    "$cmake" -S "$c_consumer" -B "$work/c-build" -G Ninja -DCMAKE_C_COMPILER="$cc" \
        -DCMAKE_CXX_COMPILER="$cxx" -DCMAKE_PREFIX_PATH="$work/prefix" >"$work/c-configure.log"
    "$cmake" --build "$work/c-build" >"$work/c-build.log"
    "$work/c-build/c-consumer"

    echo "== pkg-config powermanage-c"
    libdir=$(PKG_CONFIG_PATH=$pcdir pkg-config --variable=libdir powermanage-c)
    cflags=$(PKG_CONFIG_PATH=$pcdir pkg-config --cflags --libs powermanage-c)
    # shellcheck disable=SC2086
    "$cc" -std=c11 -Wall -Wextra -Werror -pedantic -o "$work/c-consumer-pc" \
        "$c_consumer/main.c" $cflags -Wl,-rpath,"$libdir"
    "$work/c-consumer-pc"
fi

if [[ -n $pytest ]]; then
    echo "== the Python module from the prefix"
    python_dir=$(find "$work/prefix" -type d -path '*/powermanage/python' | head -1)
    tests=$(find "$work/prefix" -type d -path '*/powermanage/python-tests/tests' | head -1)
    selection=("$tests/test_crypto.py")
    if [[ -n ${PM_TEST_DATABASE_URL:-} ]]; then
        selection+=("$tests/test_eventstore.py" "$tests/test_example.py")
    else
        echo "(PM_TEST_DATABASE_URL not set: the database tests are left out)"
    fi
    (cd "$work" && env -u PM_C_LIBRARY PYTHONPATH="$python_dir:$tests" \
        PYTHONDONTWRITEBYTECODE=1 "$pytest" -q -p no:cacheprovider "${selection[@]}")
fi
