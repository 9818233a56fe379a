"""Throwaway certificates for TLS tests (the ``openssl`` command), and the
transport socket with which Envoy's ext_proc cluster speaks mTLS to the
server (as ``docs/tls.md`` shows it)."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

SERVER_EXT = "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n"
CLIENT_EXT = "extendedKeyUsage=clientAuth\n"


def _openssl(d: Path, *args: str) -> None:
    subprocess.run(["openssl", *args], cwd=d, check=True, capture_output=True, timeout=60)


def _key(d: Path, name: str) -> None:
    _openssl(d, "ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", f"{name}.key")


def make_ca(d: Path, name: str) -> None:
    """``name.pem`` and ``name.key`` in ``d``: a CA valid for two days."""
    _key(d, name)
    subject = f"/CN={name}"
    _openssl(d, "req", "-x509", "-new", "-key", f"{name}.key", "-subj", subject, "-days", "2",
             "-out", f"{name}.pem")  # fmt: skip


def issue(d: Path, name: str, ca: str, cn: str, ext: str) -> None:
    """``name.pem`` and ``name.key``: a certificate for ``cn`` signed by CA
    ``ca``, with the extensions ``ext`` (openssl's extfile syntax)."""
    _key(d, name)
    _openssl(d, "req", "-new", "-key", f"{name}.key", "-subj", f"/CN={cn}", "-out", f"{name}.csr")
    (d / f"{name}.ext").write_text(ext)
    _openssl(
        d, "x509", "-req", "-in", f"{name}.csr", "-CA", f"{ca}.pem", "-CAkey", f"{ca}.key",
        "-CAcreateserial", "-days", "2", "-extfile", f"{name}.ext", "-out", f"{name}.pem",
    )  # fmt: skip


def envoy_tls_socket(ca: Path, cert: Path, key: Path, server_san: str | None) -> dict[str, Any]:
    """The ext_proc cluster's ``transport_socket``: ``cert`` as Envoy's client
    certificate, the server checked against ``ca`` (and its DNS name, if given)."""
    validation: dict[str, Any] = {"trusted_ca": {"filename": str(ca)}}
    if server_san is not None:
        validation["match_typed_subject_alt_names"] = [
            {"san_type": "DNS", "matcher": {"exact": server_san}}
        ]
    return {
        "name": "envoy.transport_sockets.tls",
        "typed_config": {
            "@type": "type.googleapis.com/envoy.extensions.transport_sockets.tls.v3"
            ".UpstreamTlsContext",
            "sni": "localhost",
            "common_tls_context": {
                "alpn_protocols": ["h2"],
                "tls_certificates": [
                    {
                        "certificate_chain": {"filename": str(cert)},
                        "private_key": {"filename": str(key)},
                    }
                ],
                "validation_context": validation,
            },
        },
    }
