"""SigV4 verification of incoming requests against configured access keys.

The signature is recomputed (canonical request, string to sign, signing key) over exactly the headers the client
says it signed, and compared in constant time. The canonical request is built here (``canonical_request``), for
verifying rather than signing: the canonical headers are exactly those the client lists in SignedHeaders (a signer
picks them; a verifier must take the client's list, which also lets a client sign User-Agent). It is botocore's
``SigV4Auth.canonical_request`` for such a request, which is its executable spec: tests/server/test_sigv4.py
checks that both give the same text on random requests, and that requests botocore signs verify. botocore's was
called here (through a subclass and a stand-in for its request object) until measured: 16 us a request hot, this
8 (URL splitting, header maps, a method call per step); the path's normalisation is still botocore's own
(``normalize_url_path``). Refusals are AWS's (errors.py): no ``Authorization`` header ->
MissingAuthenticationTokenException; a header that is not a complete SigV4 one -> IncompleteSignatureException;
``Host``, or an ``X-Amz-Target`` or ``Content-Type`` the request carries, not among the SignedHeaders ->
InvalidSignatureException ("'X-Amz-Target' must be a 'SignedHeader' in the AWS Authorization.", AWS's wording for
Host); an access key not configured -> UnrecognizedClientException; a date more than 15 minutes off the server's
clock -> InvalidSignatureException ("Signature expired" / "Signature not yet current"); a signature that does not
match -> InvalidSignatureException. The credential scope's service must be ``dynamodb`` (what both the dynamodb and
dynamodbstreams clients sign with); any region is accepted, as the region is the client's to choose.

``Verifier(None)`` accepts every request (the server says so at start-up).

Thread-safety: safe to share: the configured keys never change; the cache of signing keys is filled under the GIL
(a race at worst derives one twice).
"""
from __future__ import annotations

import datetime
import functools
import hashlib
import hmac
import re
import time

from urllib.parse import quote

from botocore.utils import normalize_url_path

from logstore.errors import (IncompleteSignatureException, InvalidSignatureException,
                             MissingAuthenticationTokenException, UnrecognizedClientException)

MAX_SKEW_S = 15 * 60
REQUIRED_SIGNED = (("host", "Host"), ("x-amz-target", "X-Amz-Target"), ("content-type", "Content-Type"))
"""Headers that must be among SignedHeaders when the request carries them (Host always): they choose the
operation and how the body is read, so a signature that leaves them out could be replayed as another operation."""
SERVICE = "dynamodb"
_AUTH = re.compile(r"AWS4-HMAC-SHA256\s+Credential=([^/,\s]+)/(\d{8})/([^/,\s]+)/([^/,\s]+)/aws4_request\s*,\s*"
                   r"SignedHeaders=([a-z0-9;._-]+)\s*,\s*Signature=([0-9a-f]{64})\s*")
_FMT = "%Y%m%dT%H%M%SZ"


def parse_keys(specs: list[str]) -> dict[str, str]:
    """``["AKID:SECRET", ...]`` -> {access key id: secret}."""
    keys = {}
    for spec in specs:
        akid, sep, secret = spec.partition(":")
        if not sep or not akid or not secret:
            raise ValueError(f"an access key is given as ACCESS_KEY_ID:SECRET, not {spec!r}")
        keys[akid] = secret
    return keys


class Verifier:
    def __init__(self, keys: dict[str, str] | None):
        self.keys = dict(keys) if keys else None

    @property
    def enabled(self) -> bool:
        return self.keys is not None

    def verify(self, method: str, path: str, query: str, headers: dict[str, str], body: bytes,
               now: float | None = None) -> str | None:
        """Check one request (``headers``: lower-case names -> values). Returns the access key id, or None when
        verification is off; raises the AWS error otherwise."""
        if self.keys is None:
            return None
        header = headers.get("authorization")
        if not header:
            raise MissingAuthenticationTokenException()
        m = _AUTH.fullmatch(header.strip())
        if m is None:
            raise IncompleteSignatureException(f"Authorization header requires 'Credential', 'SignedHeaders' and "
                                               f"'Signature' parameters of AWS4-HMAC-SHA256. Authorization="
                                               f"{header}")
        akid, day, region, service, signed, signature = m.groups()
        secret = self.keys.get(akid)
        if secret is None:
            raise UnrecognizedClientException()
        names = signed.split(";")
        for required, shown in REQUIRED_SIGNED:
            if required not in names and (required == "host" or required in headers):
                raise InvalidSignatureException(f"'{shown}' must be a 'SignedHeader' in the AWS Authorization.")
        stamp = headers.get("x-amz-date")
        if stamp is None or "x-amz-date" not in names:
            raise IncompleteSignatureException("Authorization header requires existence of either a 'X-Amz-Date' "
                                               "or a 'Date' header.")
        try:
            when = _parse_stamp(stamp)
        except ValueError:
            raise IncompleteSignatureException(f"Date must be in ISO-8601 'basic format'. Got '{stamp}'.") from None
        now = time.time() if now is None else now
        if when < now - MAX_SKEW_S:
            raise InvalidSignatureException(f"Signature expired: {stamp} is now earlier than {_stamp(now - MAX_SKEW_S)}"
                                            f" ({_stamp(now)} - 15 min.)")
        if when > now + MAX_SKEW_S:
            raise InvalidSignatureException(f"Signature not yet current: {stamp} is still later than "
                                            f"{_stamp(now + MAX_SKEW_S)} ({_stamp(now)} + 15 min.)")
        if stamp[:8] != day or service != SERVICE:
            raise InvalidSignatureException(f"Credential should be scoped to a valid region and to the service "
                                            f"'{SERVICE}', on the day of X-Amz-Date.")
        payload = hashlib.sha256(body).hexdigest()
        claimed = headers.get("x-amz-content-sha256")
        if claimed is not None and claimed != payload:
            raise InvalidSignatureException("The provided 'x-amz-content-sha256' header does not match what was "
                                            "computed.")
        canonical = canonical_request(method, path, query, [(n, headers.get(n, "")) for n in names], payload)
        scope = f"{day}/{region}/{service}/aws4_request"
        to_sign = f"AWS4-HMAC-SHA256\n{stamp}\n{scope}\n{hashlib.sha256(canonical.encode('utf-8')).hexdigest()}"
        expected = hmac.digest(_signing_key(secret, day, region, service), to_sign.encode("utf-8"), "sha256").hex()
        if not hmac.compare_digest(expected, signature):
            raise InvalidSignatureException()
        return akid


def canonical_request(method: str, path: str, query: str, signed: list[tuple[str, str]], payload: str) -> str:
    """SigV4's canonical request of a request to verify: ``signed`` the (lower-case name, value) of each header in
    the client's SignedHeaders (a value joined with "," where the header came more than once), ``payload`` the
    body's SHA-256 in hex. The text botocore's ``SigV4Auth.canonical_request`` builds for the same request
    (tests/server/test_sigv4.py): the path normalised and quoted, the query's pairs sorted, each signed header
    once, sorted, its value's whitespace runs collapsed."""
    if path != "/":
        path = quote(normalize_url_path(path), safe="/~")
    if query:
        pairs = sorted(pair.partition("=")[::2] for pair in query.split("&"))
        query = "&".join(f"{key}={value}" for key, value in pairs)
    by_name = dict(signed)
    names = sorted(by_name)
    headers = "".join(f"{name}:{' '.join(by_name[name].split())}\n" for name in names)
    return f"{method.upper()}\n{path}\n{query}\n{headers}\n{';'.join(names)}\n{payload}"


@functools.lru_cache(maxsize=64)
def _signing_key(secret: str, day: str, region: str, service: str) -> bytes:
    """SigV4's signing key, as botocore's ``SigV4Auth.signature`` derives it."""
    key = hmac.digest(f"AWS4{secret}".encode("utf-8"), day.encode("utf-8"), "sha256")
    for part in (region, service, "aws4_request"):
        key = hmac.digest(key, part.encode("utf-8"), "sha256")
    return key


@functools.lru_cache(maxsize=256)
def _parse_stamp(stamp: str) -> float:
    """``YYYYMMDDTHHMMSSZ`` -> epoch seconds (strptime costs ~40 us a request; this ~2, and a stamp is seen again
    by every request signed in the same second)."""
    if len(stamp) != 16 or stamp[8] != "T" or stamp[15] != "Z" or not (stamp[:8] + stamp[9:15]).isdigit():
        raise ValueError(stamp)
    return datetime.datetime(int(stamp[0:4]), int(stamp[4:6]), int(stamp[6:8]), int(stamp[9:11]),
                             int(stamp[11:13]), int(stamp[13:15]), tzinfo=datetime.timezone.utc).timestamp()


def _stamp(t: float) -> str:
    return datetime.datetime.fromtimestamp(t, datetime.timezone.utc).strftime(_FMT)
