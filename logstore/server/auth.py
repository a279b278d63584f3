"""SigV4 verification of incoming requests against configured access keys.

The signature is recomputed with botocore's own ``SigV4Auth`` (canonical request, string to sign, signing key) over
exactly the headers the client says it signed, and compared in constant time; no part of the algorithm is written
here (only the choice of headers is overridden: a verifier takes the client's SignedHeaders list). Refusals are
AWS's (errors.py): no ``Authorization`` header -> MissingAuthenticationTokenException; a header that is not a
complete SigV4 one -> IncompleteSignatureException; ``Host``, or an ``X-Amz-Target`` or ``Content-Type`` the
request carries, not among the SignedHeaders -> InvalidSignatureException ("'X-Amz-Target' must be a
'SignedHeader' in the AWS Authorization.", AWS's wording for Host); an access key not configured ->
UnrecognizedClientException; a date more than 15 minutes off the server's clock -> InvalidSignatureException
("Signature expired" / "Signature not yet current"); a signature that does not match -> InvalidSignatureException.
The credential scope's service must be ``dynamodb`` (what both the dynamodb and dynamodbstreams clients sign
with); any region is accepted, as the region is the client's to choose.

``Verifier(None)`` accepts every request (the server says so at start-up).

Thread-safety: safe to share: the configured keys never change; the caches of verifiers and signing keys are
filled under the GIL (a race at worst builds one twice).
"""
from __future__ import annotations

import datetime
import functools
import hashlib
import hmac
import re
import time

from botocore.auth import SigV4Auth
from botocore.credentials import Credentials

from logstore.errors import (IncompleteSignatureException, InvalidSignatureException,
                             MissingAuthenticationTokenException, UnrecognizedClientException)

MAX_SKEW_S = 15 * 60
REQUIRED_SIGNED = (("host", "Host"), ("x-amz-target", "X-Amz-Target"), ("content-type", "Content-Type"))
"""Headers that must be among SignedHeaders when the request carries them (Host always): they choose the
operation and how the body is read, so a signature that leaves them out could be replayed as another operation."""
SERVICE = "dynamodb"
MAX_SIGNERS = 256   # verifiers kept, by (access key id, region); the cache starts again past this
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
        self._signers: dict[tuple[str, str], _Verifying] = {}   # (access key id, region) -> its verifier

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
        claimed = headers.get("x-amz-content-sha256")
        if claimed is not None and claimed != hashlib.sha256(body).hexdigest():
            raise InvalidSignatureException("The provided 'x-amz-content-sha256' header does not match what was "
                                            "computed.")
        request = _Request(method, f"http://{headers.get('host', '')}{path}" + (f"?{query}" if query else ""),
                           _SignedHeaders((n, headers.get(n, "")) for n in names), body, stamp)
        signer = self._signers.get((akid, region))
        if signer is None:
            if len(self._signers) >= MAX_SIGNERS:
                self._signers.clear()
            signer = self._signers[(akid, region)] = _Verifying(Credentials(akid, secret), service, region)
        expected = signer.signature(signer.string_to_sign(request, signer.canonical_request(request)), request)
        if not hmac.compare_digest(expected, signature):
            raise InvalidSignatureException()
        return akid


class _SignedHeaders(dict):
    """The headers the client signed (lower-case name -> value), in the shape botocore's canonicalisation reads."""

    def get_all(self, name: str) -> list[str]:
        return [self[name]]


class _Request:
    """The parts of a request that botocore's SigV4Auth reads (an AWSRequest without its email-based headers,
    which cost ~100 us a request)."""

    def __init__(self, method: str, url: str, headers: _SignedHeaders, body: bytes, stamp: str):
        self.method, self.url, self.headers, self.body = method, url, headers, body
        self.params: dict = {}
        self.context = {"timestamp": stamp}


class _Verifying(SigV4Auth):
    """botocore's SigV4 algorithm, verifying rather than signing: the canonical headers are exactly those the
    client lists in SignedHeaders (a signer picks them; a verifier must take the client's list, which also lets a
    client sign User-Agent)."""

    def headers_to_sign(self, request) -> _SignedHeaders:
        return request.headers

    def signature(self, string_to_sign: str, request) -> str:
        """botocore's, with the signing key (four HMACs over the secret, the day, region and service) derived once
        per day rather than per request."""
        key = _signing_key(self.credentials.secret_key, request.context["timestamp"][0:8], self._region_name,
                           self._service_name)
        return hmac.new(key, string_to_sign.encode("utf-8"), hashlib.sha256).hexdigest()


@functools.lru_cache(maxsize=64)
def _signing_key(secret: str, day: str, region: str, service: str) -> bytes:
    """SigV4's signing key, as botocore's ``SigV4Auth.signature`` derives it."""
    key = hmac.digest(f"AWS4{secret}".encode("utf-8"), day.encode("utf-8"), "sha256")
    for part in (region, service, "aws4_request"):
        key = hmac.digest(key, part.encode("utf-8"), "sha256")
    return key


def _parse_stamp(stamp: str) -> float:
    """``YYYYMMDDTHHMMSSZ`` -> epoch seconds (strptime costs ~40 us a request; this ~2)."""
    if len(stamp) != 16 or stamp[8] != "T" or stamp[15] != "Z" or not (stamp[:8] + stamp[9:15]).isdigit():
        raise ValueError(stamp)
    return datetime.datetime(int(stamp[0:4]), int(stamp[4:6]), int(stamp[6:8]), int(stamp[9:11]),
                             int(stamp[11:13]), int(stamp[13:15]), tzinfo=datetime.timezone.utc).timestamp()


def _stamp(t: float) -> str:
    return datetime.datetime.fromtimestamp(t, datetime.timezone.utc).strftime(_FMT)
