#!/usr/bin/env bash
# pm-ca end to end with the openssl CLI as the independent party: a CA is created, a CSR made
# by openssl is signed and the chain verified by openssl; an action is signed, verified, and a
# tampered copy (params, id, type, signature, another CA) is refused with exit 1 and a sentence.
#   ca_tool_test.sh PATH_TO_PM_CA
set -euo pipefail
pmca=$1
work=$(mktemp -d /tmp/pm-ca-test.XXXXXX)
trap 'rm -rf "$work"' EXIT
fail() { echo "FAILED: $*"; exit 1; }
cd "$work"

# init: key private to its owner, certificate a CA; a second init refuses to replace it.
"$pmca" init --out-dir ca --name "test fleet CA" >init.out || fail "init"
grep -q "SHA-256" init.out || fail "init printed no fingerprint: $(cat init.out)"
[[ $(stat -c %a ca/ca.key) == 600 ]] || fail "ca.key mode is $(stat -c %a ca/ca.key)"
openssl x509 -in ca/ca.crt -noout -text | grep -q "CA:TRUE" || fail "ca.crt is not a CA"
set +e; "$pmca" init --out-dir ca 2>again.err; rc=$?; set -e
[[ $rc == 1 ]] || fail "a second init exited $rc, expected 1"
grep -q "already holds" again.err || fail "second init: $(cat again.err)"
export PM_CA_CERT=ca/ca.crt PM_CA_KEY=ca/ca.key

# sign-csr from stdin, the chain checked by openssl, CN = device id, clientAuth only.
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout device.key \
    -subj "/CN=host.example" -addext "subjectAltName=DNS:host.example" -out device.csr 2>/dev/null
"$pmca" sign-csr --device-id 01JDEVICE0000000000000000A --validity 48h <device.csr >device.crt \
    2>sign.err || fail "sign-csr: $(cat sign.err)"
openssl verify -CAfile ca/ca.crt -purpose sslclient device.crt >/dev/null ||
    fail "openssl does not verify the issued certificate"
openssl x509 -in device.crt -noout -subject | grep -q "CN = 01JDEVICE0000000000000000A" ||
    fail "CN is not the device id: $(openssl x509 -in device.crt -noout -subject)"
[[ $(openssl x509 -in device.crt -noout -pubkey) == $(openssl pkey -in device.key -pubout) ]] ||
    fail "the certificate is not for the CSR's key"
openssl x509 -in device.crt -noout -checkend $((47 * 3600)) >/dev/null || fail "validity < 47h"
! openssl x509 -in device.crt -noout -checkend $((49 * 3600)) >/dev/null || fail "validity > 49h"

# A CSR with a weak key is refused: exit 1 and why.
openssl req -new -newkey rsa:1024 -nodes -keyout weak.key -subj "/CN=weak" -out weak.csr 2>/dev/null
set +e; "$pmca" sign-csr --device-id D weak.csr >/dev/null 2>weak.err; rc=$?; set -e
[[ $rc == 1 ]] || fail "a 1024-bit CSR exited $rc"
grep -q "refused" weak.err || fail "weak CSR: $(cat weak.err)"

# Actions: sign, verify, then every kind of tampering is refused.
printf '{"script":"echo hello"}' >params.json
sig=$("$pmca" sign-action --action-id 01JEXEC00000000000000000AA --action-type 200 params.json)
[[ -n $sig ]] || fail "sign-action printed nothing"
"$pmca" verify-action --ca-key /nonexistent --action-id 01JEXEC00000000000000000AA \
    --action-type 200 --signature "$sig" params.json >verify.out || fail "verify of a good action"
grep -q "valid" verify.out || fail "verify printed: $(cat verify.out)"
# The same signature checked by openssl: SHA-256 over id:type:base64(params).
printf '%s' "01JEXEC00000000000000000AA:200:$(base64 -w0 params.json)" >input.txt
echo "$sig" | base64 -d >sig.bin
openssl dgst -sha256 -verify <(openssl x509 -in ca/ca.crt -noout -pubkey) -signature sig.bin \
    input.txt >/dev/null || fail "openssl does not accept the action signature"

refused() { # DESCRIPTION ARGS... : verify-action must exit 1 with a sentence
    local what=$1; shift
    set +e; "$pmca" verify-action "$@" >/dev/null 2>refused.err; local rc=$?; set -e
    [[ $rc == 1 ]] || fail "$what: exit $rc, expected 1"
    grep -q "does not match" refused.err || fail "$what: $(cat refused.err)"
}
printf '{"script":"rm -rf /"}' >tampered.json
refused "tampered params" --action-id 01JEXEC00000000000000000AA --action-type 200 \
    --signature "$sig" tampered.json
refused "another id" --action-id 01JEXEC00000000000000000AB --action-type 200 \
    --signature "$sig" params.json
refused "another type" --action-id 01JEXEC00000000000000000AA --action-type 1 \
    --signature "$sig" params.json
bad=$(echo "$sig" | base64 -d | head -c -1 | { cat; printf 'x'; } | base64 -w0)
refused "altered signature" --action-id 01JEXEC00000000000000000AA --action-type 200 \
    --signature "$bad" params.json
"$pmca" init --out-dir other >/dev/null
refused "another CA" --ca-cert other/ca.crt --action-id 01JEXEC00000000000000000AA \
    --action-type 200 --signature "$sig" params.json

# Usage mistakes: exit 2 and what to do.
set +e
"$pmca" sign-action --action-type 200 params.json >/dev/null 2>usage.err; rc=$?
set -e
[[ $rc == 2 ]] || fail "missing --action-id exited $rc"
grep -q -- "--action-id is required" usage.err || fail "usage: $(cat usage.err)"
set +e; "$pmca" frobnicate 2>/dev/null; rc=$?; set -e
[[ $rc == 2 ]] || fail "an unknown command exited $rc"
echo "PASSED"
