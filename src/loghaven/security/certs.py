"""TLS certificates: a local CA and a node certificate it signs (``loghaven certs``), and the
start-up check of the configured certificate and key.

Like ``elasticsearch-certutil`` or OpenSearch's demo certificates, but made on the machine that
uses them, so no private key is ever shared between installs. Clients then trust ``ca.crt``
(``ca_certs=`` in opensearch-py and elasticsearch-py, ``--cacert`` in curl). RSA 2048 keys and
SHA-256 signatures: what every client and TLS library accepts; the CA has path length 0 and
signs nothing but node certificates.
"""

from __future__ import annotations

import datetime
import ipaddress
import os
import socket
import ssl
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

#: The files ``loghaven certs`` writes, in this order.
FILES = ("ca.crt", "ca.key", "node.crt", "node.key")
#: elasticsearch-certutil's default validity (three years).
DEFAULT_DAYS = 1095


class CertificateError(Exception):
    """A certificate or key that cannot be made or used; the message says what to do."""


@dataclass(frozen=True)
class Written:
    folder: Path
    names: tuple[str, ...]  # the node certificate's subject alternative names, as text

    def path(self, name: str) -> Path:
        return self.folder / name


def subject_names(extra: Iterable[str] = ()) -> list[str]:
    """The names and addresses the node certificate is valid for: loopback, this machine's
    host name, and ``extra`` (in order, without repeats)."""
    names = ["localhost", "127.0.0.1", "::1", socket.gethostname(), *extra]
    seen: dict[str, None] = {}
    for name in names:
        name = name.strip()
        if name:
            seen.setdefault(name.lower() if _address(name) is None else name, None)
    return list(seen)


def _address(name: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(name.strip("[]"))
    except ValueError:
        return None


def _general_name(name: str) -> x509.GeneralName:
    address = _address(name)
    return x509.IPAddress(address) if address is not None else x509.DNSName(name)


def _key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Loghaven"),
                      x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def make_certificates(folder: Path, *, hosts: Iterable[str] = (), days: int = DEFAULT_DAYS,
                      force: bool = False) -> Written:
    """Write ``ca.crt``, ``ca.key``, ``node.crt`` and ``node.key`` into ``folder``.

    Keys are written readable by the owner only (0600). Existing files are kept unless
    ``force``: replacing a CA breaks every client that trusts the old one.
    """
    if days < 1:
        raise CertificateError(f"--days must be at least 1, got [{days}]")
    existing = [name for name in FILES if (folder / name).exists()]
    if existing and not force:
        raise CertificateError(
            f"{', '.join(str(folder / name) for name in existing)} already exist; "
            f"choose another folder with --out, or replace them with --force (clients that "
            f"trust the old CA will then need the new ca.crt)")
    names = subject_names(hosts)
    now = datetime.datetime.now(datetime.UTC)
    start, end = now - datetime.timedelta(minutes=5), now + datetime.timedelta(days=days)

    ca_key = _key()
    ca_name = _name(f"Loghaven local CA ({socket.gethostname()})")
    ca_ski = x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key())
    ca_cert = (
        x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name)
        .public_key(ca_key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(start).not_valid_after(end)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(x509.KeyUsage(digital_signature=False, content_commitment=False,
                                     key_encipherment=False, data_encipherment=False,
                                     key_agreement=False, key_cert_sign=True, crl_sign=True,
                                     encipher_only=False, decipher_only=False), critical=True)
        .add_extension(ca_ski, critical=False)
        .sign(ca_key, hashes.SHA256()))

    node_key = _key()
    node_cert = (
        x509.CertificateBuilder().subject_name(_name(socket.gethostname()))
        .issuer_name(ca_name).public_key(node_key.public_key())
        .serial_number(x509.random_serial_number()).not_valid_before(start).not_valid_after(end)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=False,
                                     key_encipherment=True, data_encipherment=False,
                                     key_agreement=False, key_cert_sign=False, crl_sign=False,
                                     encipher_only=False, decipher_only=False), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH,
                                              ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)
        .add_extension(x509.SubjectAlternativeName([_general_name(n) for n in names]),
                       critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(node_key.public_key()),
                       critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ca_ski),
                       critical=False)
        .sign(ca_key, hashes.SHA256()))

    folder.mkdir(parents=True, exist_ok=True)
    _write(folder / "ca.crt", ca_cert.public_bytes(serialization.Encoding.PEM), 0o644)
    _write(folder / "ca.key", _pem_key(ca_key), 0o600)
    _write(folder / "node.crt", node_cert.public_bytes(serialization.Encoding.PEM), 0o644)
    _write(folder / "node.key", _pem_key(node_key), 0o600)
    return Written(folder, tuple(names))


def _pem_key(key: rsa.RSAPrivateKey) -> bytes:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def _write(path: Path, data: bytes, mode: int) -> None:
    """Create the file with ``mode`` from the start (a key is never readable by others, not
    even for a moment); an existing file is replaced (``--force``)."""
    path.unlink(missing_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    with os.fdopen(descriptor, "wb") as file:
        file.write(data)


def _no_passphrase() -> str:
    raise CertificateError("the key is encrypted with a passphrase; Loghaven needs an "
                           "unencrypted PEM key (e.g. `openssl pkey -in KEY -out PLAIN.key`)")


def check_certificate_pair(certificate: str, key: str) -> str | None:
    """Why ``http.ssl.certificate``/``http.ssl.key`` cannot serve HTTPS, or None when they can.

    Loads them exactly as the server will (:meth:`ssl.SSLContext.load_cert_chain`), so any
    problem is reported at start-up in words rather than as an OpenSSL error later.
    """
    if bool(certificate) != bool(key):
        given, missing = (("http.ssl.certificate", "http.ssl.key") if certificate
                          else ("http.ssl.key", "http.ssl.certificate"))
        return (f"{given} is set but {missing} is not: HTTPS needs both the certificate and "
                f"its private key (--ssl-certificate and --ssl-key, or LOGHAVEN_SSL_CERTIFICATE "
                f"and LOGHAVEN_SSL_KEY); `loghaven certs` makes a pair")
    if not certificate:
        return None
    for setting, name in (("http.ssl.certificate", certificate), ("http.ssl.key", key)):
        path = Path(name)
        try:
            path.read_bytes()
        except OSError as error:
            return (f"cannot read {setting} [{path.resolve()}]: {error.strerror or error}; "
                    f"check the path and that the user running Loghaven may read it "
                    f"(`loghaven certs` makes a certificate and key)")
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    try:
        context.load_cert_chain(certificate, key, password=_no_passphrase)
    except CertificateError as error:
        return f"cannot use http.ssl.key [{Path(key).resolve()}]: {error}"
    except ssl.SSLError as error:
        if "KEY_VALUES_MISMATCH" in str(error) or "key values mismatch" in str(error):
            return (f"http.ssl.key [{Path(key).resolve()}] is not the private key of "
                    f"http.ssl.certificate [{Path(certificate).resolve()}]; give the key the "
                    f"certificate was made for")
        return (f"cannot load http.ssl.certificate [{Path(certificate).resolve()}] with "
                f"http.ssl.key [{Path(key).resolve()}]: {error.reason or error}; both must be "
                f"PEM files (the certificate, optionally followed by its chain, and an "
                f"unencrypted private key)")
    return None
