#!/usr/bin/env bash
# usage: check_install.sh CMAKE BUILD_DIR CONSUMER_SOURCE_DIR CXX [C_CONSUMER_DIR CC [PYTEST]]
# Installs the library into a temporary prefix, then builds from it: the umbrella consumer
# through find_package(powermanage CONFIG) and through pkg-config, and one consumer per
# component (tests/install/components), whose link line must list only that component's own
# dependencies. With C_CONSUMER_DIR and CC it also builds a C consumer of libpowermanage_c
# (find_package and pkg-config); with PYTEST it runs the installed Python module's installed
# tests, finding the library from the prefix alone (PM_C_LIBRARY unset).
set -euo pipefail
cmake=$1 build=$2 consumer=$3 cxx=$4
c_consumer=${5:-} cc=${6:-} pytest=${7:-}
components_src=$(dirname "$consumer")/components
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

# What each component may link: our archives (by module) and system libraries. Everything
# else in the universe below must be absent from its link line. A CA-only program needs only
# OpenSSL's libcrypto besides our ca and common archives.
modules=(common ca query contract validation auth asio db eventstore projection rpc control gateway)
externals=(crypto ssl fmt pq protobuf boost_json z nghttp2 argon2)
declare -A allowed=(
    [common]="common | crypto"
    [ca]="ca common | crypto"
    [query]="query | boost_json fmt"
    [contract]="contract | protobuf boost_json"
    [validation]="validation contract common | protobuf boost_json crypto"
    [auth]="auth common contract | crypto protobuf boost_json argon2"
    [asio]="asio | "
    [db]="db common asio | crypto fmt pq"
    [eventstore]="eventstore db common asio | crypto fmt pq boost_json"
    [projection]="projection eventstore db common asio | crypto fmt pq boost_json"
    [rpc]="rpc common contract asio | crypto protobuf boost_json ssl z nghttp2"
    [control]="control auth common rpc ca contract db eventstore projection query validation asio | crypto fmt protobuf boost_json ssl z nghttp2 pq argon2"
    [gateway]="gateway common rpc asio contract db eventstore projection | crypto fmt protobuf boost_json ssl z nghttp2 pq"
)
failures=0
for component in "${modules[@]}"; do
    dir=$work/component-$component
    "$cmake" -S "$components_src" -B "$dir" -G Ninja -DCMAKE_CXX_COMPILER="$cxx" \
        -DCMAKE_PREFIX_PATH="$work/prefix" -DPM_COMPONENT="$component" >"$dir.configure.log" 2>&1 ||
        { cat "$dir.configure.log"; echo "FAIL: component $component does not configure"; exit 1; }
    "$cmake" --build "$dir" >"$dir.build.log" 2>&1 ||
        { cat "$dir.build.log"; echo "FAIL: component $component does not build"; exit 1; }
    "$dir/consumer"
    link=$(ninja -C "$dir" -t commands consumer | tail -1)
    own=${allowed[$component]%%|*} libs=${allowed[$component]#*|}
    for module in "${modules[@]}"; do
        present=0
        [[ $link == *"libpowermanage_${module}.a"* ]] && present=1
        wanted=0
        [[ " $own " == *" $module "* ]] && wanted=1
        if ((present != wanted)); then
            echo "FAIL: powermanage::$component's link line $( ((present)) && echo has || echo lacks) libpowermanage_$module"
            failures=$((failures + 1))
        fi
    done
    for lib in "${externals[@]}"; do
        present=0
        [[ $link =~ (/lib|-l)${lib}(\.so|\.a|[[:space:]]|$) ]] && present=1
        if ((present)) && [[ " $libs " != *" $lib "* ]]; then
            echo "FAIL: powermanage::$component links lib$lib, which it does not use"
            failures=$((failures + 1))
        fi
    done
done
((failures == 0)) || { echo "$failures link-line problems"; exit 1; }
echo "== every component links only its own dependencies"

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
