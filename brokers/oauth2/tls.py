"""A self-signed certificate for an https loopback listener, made once per profile and kept in the vault.

Some brokers only redirect to an https loopback address. The browser warns about the certificate once;
keeping it stable (rather than minting one per login) lets the trader accept it for good.
"""

from __future__ import annotations

import datetime
import ipaddress
import ssl
import tempfile
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from brokers.core.credential_notes import DAY_S, DUE_SOON_DAYS

VALIDITY_DAYS = 825


def make_loopback_certificate(now: datetime.datetime | None = None) -> bytes:
    """A PEM bundle (certificate, then its private key) valid for 127.0.0.1 and ::1."""
    now = now or datetime.datetime.now(datetime.UTC)
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Brokerdeck loopback")])
    names = [x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.IPAddress(ipaddress.ip_address("::1"))]
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=VALIDITY_DAYS))
        .add_extension(x509.SubjectAlternativeName(names), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return certificate.public_bytes(serialization.Encoding.PEM) + key_pem


def certificate_pem(bundle: bytes) -> bytes:
    """Only the certificate of a bundle (what a client may trust)."""
    end = b"-----END CERTIFICATE-----\n"
    return bundle[: bundle.index(end) + len(end)]


def certificate_expires_at(bundle: bytes) -> float:
    """When the bundle's certificate stops being valid, in epoch seconds; ValueError when it is no certificate."""
    return x509.load_pem_x509_certificate(certificate_pem(bundle)).not_valid_after_utc.timestamp()


def needs_renewal(bundle: bytes, now: float) -> bool:
    """A certificate that ends within DUE_SOON_DAYS (or has ended) is replaced at the next sign-in, before the
    browser refuses it; an unreadable one too."""
    try:
        return certificate_expires_at(bundle) - now < DUE_SOON_DAYS * DAY_S
    except ValueError:
        return True


def server_context(bundle: bytes) -> ssl.SSLContext:
    """An SSL context serving the bundle. `ssl` loads keys only from files, so a private temp file is used briefly."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    with tempfile.TemporaryDirectory(prefix="brokerdeck-tls-") as scratch:
        path = Path(scratch) / "bundle.pem"
        path.touch(mode=0o600)
        path.write_bytes(bundle)
        context.load_cert_chain(path)
    return context
