"""ULIDs, the CA and JWTs through the Python module (no database)."""

from __future__ import annotations

import base64
import datetime
import json
import subprocess
import time

import pytest

import powermanage as pm
from conftest import chain_verifies, make_csr


def test_ulids_are_valid_and_strictly_increasing():
    ids = [pm.new_ulid() for _ in range(2000)]
    assert all(len(i) == 26 and pm.is_valid_ulid(i) for i in ids)
    assert ids == sorted(set(ids))
    assert abs(pm.ulid_timestamp_ms(ids[-1]) / 1000 - time.time()) < 5
    assert not pm.is_valid_ulid("not a ulid")
    with pytest.raises(pm.InvalidArgument, match="not a ULID"):
        pm.ulid_timestamp_ms("nope")


def test_the_ca_signs_a_csr_whose_chain_verifies(tmp_path):
    device = pm.new_ulid()
    with pm.CertificateAuthority.create("py CA") as ca, \
            pm.CertificateAuthority.create("other CA", key_type="ecdsa_p384") as other:
        cert = ca.sign_csr(make_csr(tmp_path, "host-1.example"), device, validity=86400)
        assert len(cert.sha256_fingerprint) == 64
        assert cert.not_after - cert.not_before >= datetime.timedelta(days=1)
        subject = subprocess.run(["openssl", "x509", "-noout", "-subject"], input=cert.pem,
                                 capture_output=True, text=True, check=True).stdout
        assert f"CN = {device}" in subject
        assert chain_verifies(tmp_path, ca.certificate_pem, cert.pem)
        assert not chain_verifies(tmp_path, other.certificate_pem, cert.pem)


def test_refused_requests_raise_their_csr_error(tmp_path):
    with pm.CertificateAuthority.create("py CA") as ca:
        with pytest.raises(pm.CsrMalformed):
            ca.sign_csr("garbage", pm.new_ulid())
        with pytest.raises(pm.CsrUnsupportedKey):
            ca.sign_csr(make_csr(tmp_path, "small", key="rsa:1024"), pm.new_ulid())
        der = subprocess.run(["openssl", "req", "-outform", "DER"],
                             input=make_csr(tmp_path, "h").encode(), capture_output=True,
                             check=True).stdout
        ca.sign_csr(der, pm.new_ulid())  # DER is accepted as it is
        tampered = der[:-1] + bytes([der[-1] ^ 1])
        with pytest.raises(pm.CsrBadSignature):
            ca.sign_csr(tampered, pm.new_ulid())
        with pytest.raises(pm.InvalidArgument):
            ca.sign_csr(der, pm.new_ulid(), validity=0)


def test_actions_verify_and_tampered_ones_do_not():
    params = json.dumps({"script": "echo hi"})
    with pm.CertificateAuthority.create("py CA") as ca, \
            pm.CertificateAuthority.create("other") as other:
        signature = ca.sign_action("01HVACTION0000000000000000", 3, params)
        assert ca.verify_action("01HVACTION0000000000000000", 3, params, signature)
        assert not ca.verify_action("01HVACTION0000000000000000", 3, params + " ", signature)
        assert not ca.verify_action("01HVACTION0000000000000000", 4, params, signature)
        assert not other.verify_action("01HVACTION0000000000000000", 3, params, signature)
        # A CA saved as PEM and loaded again is the same CA.
        with pm.CertificateAuthority.from_pem(ca.certificate_pem, ca.private_key_pem) as again:
            assert again.verify_action("01HVACTION0000000000000000", 3, params, signature)


def test_bad_pem_and_closed_handles_raise():
    with pytest.raises(pm.CaError):
        pm.CertificateAuthority.from_pem("not a certificate", "not a key")
    ca = pm.CertificateAuthority.create("py CA")
    ca.close()
    ca.close()  # idempotent
    with pytest.raises(pm.Closed):
        ca.certificate_pem
    with pytest.raises(pm.InvalidArgument):
        pm.CertificateAuthority.create("x", key_type="dsa")


def test_tokens_verify_and_expired_or_forged_ones_fail_with_their_reason():
    now = int(time.time())
    with pm.JwtCodec(b"0123456789abcdef0123456789abcdef") as codec, \
            pm.JwtCodec("fedcba9876543210fedcba9876543210") as other:
        token = codec.issue("01HVUSER000000000000000000", "admin", email="ada@example.com",
                            ttl=900, issued_at=now, session_version=3)
        claims = codec.verify(token)
        assert claims.user_id == "01HVUSER000000000000000000"
        assert claims.email == "ada@example.com" and claims.role == "admin"
        assert claims.session_version == 3 and claims.type is pm.TokenType.ACCESS
        assert pm.is_valid_ulid(claims.jti)
        assert codec.verify(token, now=now + 899).expires_at.timestamp() == now + 900
        with pytest.raises(pm.TokenExpired):
            codec.verify(token, now=now + 900)
        with pytest.raises(pm.TokenWrongType):
            codec.verify(token, expected=pm.TokenType.REFRESH)
        with pytest.raises(pm.BadSignature):
            codec.verify(other.issue("01HVUSER000000000000000000", "admin"))
        with pytest.raises(pm.TokenMalformed):
            codec.verify("a.b")
        header = base64.urlsafe_b64encode(b'{"alg":"none","typ":"JWT"}').rstrip(b"=").decode()
        with pytest.raises(pm.TokenAlgorithm):
            codec.verify(header + "." + token.split(".")[1] + ".")
        refresh = codec.issue("u", "user", type=pm.TokenType.REFRESH, family="fam-1")
        assert codec.verify(refresh, expected=pm.TokenType.REFRESH).family == "fam-1"
    with pytest.raises(pm.InvalidArgument, match="32"):
        pm.JwtCodec("short")
    assert issubclass(pm.TokenExpired, pm.Error) and issubclass(pm.InvalidArgument, ValueError)
