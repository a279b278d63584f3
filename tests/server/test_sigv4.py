"""The server's SigV4 check (logstore/server/auth.py) against its executable spec, botocore's ``SigV4Auth``: on
random requests (methods, paths, queries, signed header sets with repeated, padded and empty values, bodies) our
canonical request is the text botocore builds; a request botocore signed verifies, whatever headers it chose to
sign; one changed after signing (a signed header's value, the body, the path, the query, the region in the scope)
is refused with InvalidSignatureException. Hypothesis; the seed is printed, replay with LOGSTORE_SEED=<seed>. No
server: these are the verifier's own answers (tests/server/test_http_auth.py drives a real one)."""
from __future__ import annotations

import datetime
import hashlib
import os
import random
from urllib.parse import urlsplit

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from hypothesis import HealthCheck, given, seed, settings
from hypothesis import strategies as st

from logstore.errors import InvalidSignatureException
from logstore.server.auth import Verifier, canonical_request

SEED = int(os.environ.get("LOGSTORE_SEED") or random.randrange(1 << 32))
AKID, SECRET = "AKIDSPEC", "spec/secret+key"
NOW = datetime.datetime(2026, 12, 4, 12, 30, 5, tzinfo=datetime.timezone.utc)
STAMP = NOW.strftime("%Y%m%dT%H%M%SZ")
HOST = "127.0.0.1:8000"


@pytest.fixture(scope="module", autouse=True)
def _print_seed():
    print(f"\ntests/server/test_sigv4.py: hypothesis seed {SEED} (replay with LOGSTORE_SEED={SEED})")


class _SignsTheseHeaders(SigV4Auth):
    """botocore's signer, signing exactly the headers it is given (as other SDKs may: User-Agent, custom ones)."""

    def headers_to_sign(self, request):
        out = super().headers_to_sign(request)
        for name in list(out.keys()):
            if name not in request.context["sign"]:
                del out[name]
        return out


_TEXT = st.text(st.sampled_from("abcXYZ019-_.~ \t/+=%:,;!$&'()*@"), max_size=12)
_PATH_SEGMENT = st.text(st.sampled_from("abcXYZ019-_.~%!$&'()*+,;=:@ "), max_size=8) | st.sampled_from([".", ".."])


@st.composite
def requests(draw):
    method = draw(st.sampled_from(["POST", "GET", "PUT", "DELETE"]))
    path = "/" + "/".join(draw(st.lists(_PATH_SEGMENT, max_size=4)))
    query = "&".join(draw(st.lists(st.tuples(st.text("abcz019-_.~%", max_size=5), st.text("abcz019-_.~%=", max_size=5))
                                   .map(lambda kv: "=".join(kv) if kv[1] else kv[0]), max_size=4)))
    extra = draw(st.dictionaries(st.sampled_from(["user-agent", "x-amz-meta-a", "x-custom", "accept", "x-amz-target",
                                                  "content-type", "x-amz-security-token"]), _TEXT, max_size=4))
    body = draw(st.binary(max_size=64))
    return method, path, query, extra, body


def _signed(method, path, query, extra, body, region="us-east-1"):
    """The request as botocore signs it: (headers as the server sees them, lower-case -> value; botocore's
    canonical request)."""
    url = f"http://{HOST}{path}" + (f"?{query}" if query else "")
    headers = {"Host": HOST, "X-Amz-Date": STAMP, **extra}
    req = AWSRequest(method=method, url=url, data=body, headers=headers)
    req.context["timestamp"] = STAMP
    req.context["sign"] = {name.lower() for name in headers}
    signer = _SignsTheseHeaders(Credentials(AKID, SECRET), "dynamodb", region)
    spec = signer.canonical_request(req)
    signer._inject_signature_to_request(req, signer.signature(signer.string_to_sign(req, spec), req))
    return {name.lower(): value for name, value in req.headers.items()}, spec


def _verify(method, path, query, headers, body):
    return Verifier({AKID: SECRET}).verify(method, path, query, headers, body, now=NOW.timestamp())


@seed(SEED)
@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(requests())
def test_the_canonical_request_is_botocores(request):
    method, path, query, extra, body = request
    headers, spec = _signed(method, path, query, extra, body)
    names = headers["authorization"].split("SignedHeaders=")[1].split(",")[0].split(";")
    assert {"host", "x-amz-date"} <= set(names)
    ours = canonical_request(method, urlsplit(f"http://{HOST}{path}").path, query,
                             [(n, headers[n]) for n in names], hashlib.sha256(body).hexdigest())
    assert ours == spec
    assert _verify(method, urlsplit(f"http://{HOST}{path}").path, query, headers, body) == AKID


def test_a_header_sent_twice_is_signed_as_its_values_joined():
    # the server's header map joins a repeated header's values with "," (app.py), as botocore's signer joins them
    headers, _spec = _signed("POST", "/", "", {"x-custom": "one,two"}, b"{}")
    assert "x-custom" in headers["authorization"]
    assert _verify("POST", "/", "", headers, b"{}") == AKID
    assert canonical_request("POST", "/", "", [("x-custom", "  a   b "), ("host", HOST)], "0" * 64) == \
        f"POST\n/\n\nhost:{HOST}\nx-custom:a b\n\nhost;x-custom\n{'0' * 64}"


@seed(SEED)
@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(requests(), st.data())
def test_a_request_changed_after_signing_is_refused(request, data):
    method, path, query, extra, body = request
    path = urlsplit(f"http://{HOST}{path}").path
    headers, _spec = _signed(method, path, query, extra, body)
    change = data.draw(st.sampled_from(["header", "body", "path", "query", "region"]))
    if change == "header":
        signed = headers["authorization"].split("SignedHeaders=")[1].split(",")[0].split(";")
        name = data.draw(st.sampled_from(sorted(n for n in signed if n != "x-amz-date")))
        headers[name] = headers[name] + "x"
    elif change == "body":
        body = body + b" "
    elif change == "path":
        path = path.rstrip("/") + "/other"
    elif change == "query":
        query = query + ("&" if query else "") + "added=1"
    else:
        headers["authorization"] = headers["authorization"].replace("/us-east-1/", "/eu-west-1/")
    with pytest.raises(InvalidSignatureException):
        _verify(method, path, query, headers, body)


def test_a_claimed_payload_hash_must_match_the_body():
    headers, _spec = _signed("POST", "/", "", {}, b'{"a": 1}')
    headers["x-amz-content-sha256"] = hashlib.sha256(b"other").hexdigest()
    with pytest.raises(InvalidSignatureException, match="x-amz-content-sha256"):
        _verify("POST", "/", "", headers, b'{"a": 1}')
