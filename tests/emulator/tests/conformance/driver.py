"""Drives MSAL Python through every flow against a running entra-emulator.

Usage: driver.py INFO_JSON CA_PEM

INFO_JSON is the emulator's info document (authority_host, tenants, users, apps);
CA_PEM is the CA certificate the emulator's HTTPS server chains to.

Prints one JSON document on stdout: {"msal_version": ..., "flows": {name: report},
"checks": {name: {ok, detail}}} where a flow report is {ok, error, error_description,
token_source, has_access_token, cache_counts}. Flows must each yield a token; checks cover
error answers and an independent check of the SAML assertion's XML signature.
Diagnostics go to stderr. Exit status 0 whenever the JSON was printed; the caller judges.
"""

import base64
import hashlib
import json
import logging
import os
import ssl
import sys
import time
import traceback
import urllib.parse
import xml.etree.ElementTree as ET

# Python's requests would prefer these over the CA we pass explicitly.
for _name in ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE", "SSL_CERT_FILE"):
    os.environ.pop(_name, None)

import msal  # noqa: E402
import msal.mex  # noqa: E402
import msal.wstrust_request  # noqa: E402
import requests  # noqa: E402
from cryptography import x509  # noqa: E402  (an msal dependency)
from cryptography.hazmat.primitives import hashes  # noqa: E402
from cryptography.hazmat.primitives.asymmetric import padding  # noqa: E402

CACHE_SECTIONS = ("AccessToken", "RefreshToken", "IdToken", "Account", "AppMetadata")
PUBLIC_CLIENT_ID = "11111111-1111-1111-1111-111111111111"
CONFIDENTIAL_CLIENT_ID = "22222222-2222-2222-2222-222222222222"
GRAPH_DEFAULT = ["https://graph.microsoft.com/.default"]
GRAPH_USER_READ = ["https://graph.microsoft.com/User.Read"]
MIDDLE_TIER_SCOPE = ["api://33333333-3333-3333-3333-333333333333/access_as_user"]
DEVICE_FLOW_TIMEOUT_SECS = 45


def log(message):
    print("driver: " + message, file=sys.stderr, flush=True)


class Context:
    """Everything a flow needs: the emulator's info, an HTTP session trusting its CA."""

    def __init__(self, info, ca_path):
        self.info = info
        self.ca_path = ca_path
        self.tenant_id = info["tenants"][0]["tenant_id"]
        self.authority = "%s/%s" % (info["authority_host"].rstrip("/"), self.tenant_id)

    def session(self):
        session = requests.Session()
        session.trust_env = False  # no proxies, no REQUESTS_CA_BUNDLE
        session.verify = self.ca_path
        return session

    def user(self, username):
        for user in self.info["users"]:
            if user["username"].lower() == username:
                return user
        raise LookupError("the emulator info lists no user %s" % username)

    def app(self, client_id):
        for app in self.info["apps"]:
            if app["client_id"] == client_id:
                return app
        raise LookupError("the emulator info lists no app %s" % client_id)

    def public_app(self, cache):
        return msal.PublicClientApplication(
            PUBLIC_CLIENT_ID,
            authority=self.authority,
            instance_discovery=False,
            http_client=self.session(),
            token_cache=cache,
            timeout=30,
        )

    def confidential_app(self, credential, cache):
        return msal.ConfidentialClientApplication(
            CONFIDENTIAL_CLIENT_ID,
            client_credential=credential,
            authority=self.authority,
            instance_discovery=False,
            http_client=self.session(),
            token_cache=cache,
            timeout=30,
        )

    def secret(self):
        secret = self.app(CONFIDENTIAL_CLIENT_ID).get("client_secret")
        if not secret:
            raise LookupError("the confidential app has no client_secret in the info JSON")
        return secret

    def certificate(self):
        app = self.app(CONFIDENTIAL_CLIENT_ID)
        cert_path = app.get("certificate_pem_path")
        key_path = app.get("private_key_pem_path")
        if not cert_path or not key_path:
            raise LookupError("the confidential app has no certificate/private key paths")
        with open(cert_path) as f:
            cert_pem = f.read()
        with open(key_path) as f:
            key_pem = f.read()
        return cert_pem, key_pem

    def ropc(self, app, username, scopes):
        user = self.user(username)
        return app.acquire_token_by_username_password(
            user["username"], user["password"], scopes=scopes)


def cache_counts(cache):
    data = json.loads(cache.serialize() or "{}")
    return {section: len(data.get(section, {})) for section in CACHE_SECTIONS}


def report(result, cache):
    result = result or {}
    return {
        "ok": "access_token" in result,
        "error": result.get("error"),
        "error_description": result.get("error_description"),
        "token_source": result.get("token_source"),
        "has_access_token": bool(result.get("access_token")),
        "cache_counts": cache_counts(cache),
    }


def ropc_flow(username, scopes):
    def flow(ctx):
        cache = msal.SerializableTokenCache()
        return report(ctx.ropc(ctx.public_app(cache), username, scopes), cache)
    return flow


def device_code(ctx):
    cache = msal.SerializableTokenCache()
    app = ctx.public_app(cache)
    flow = app.initiate_device_flow(scopes=GRAPH_USER_READ)
    if "user_code" not in flow:
        return dict(report(flow, cache), ok=False)
    log("device code flow started, user code %s; polling" % flow["user_code"])
    deadline = time.time() + DEVICE_FLOW_TIMEOUT_SECS
    result = app.acquire_token_by_device_flow(
        flow, exit_condition=lambda _flow: time.time() > deadline)
    return report(result, cache)


def client_credentials_secret(ctx):
    cache = msal.SerializableTokenCache()
    app = ctx.confidential_app(ctx.secret(), cache)
    return report(app.acquire_token_for_client(GRAPH_DEFAULT), cache)


def client_credentials_cert_thumbprint(ctx):
    cert_pem, key_pem = ctx.certificate()
    thumbprint = hashlib.sha1(ssl.PEM_cert_to_DER_cert(cert_pem)).hexdigest()
    cache = msal.SerializableTokenCache()
    app = ctx.confidential_app({"private_key": key_pem, "thumbprint": thumbprint}, cache)
    return report(app.acquire_token_for_client(GRAPH_DEFAULT), cache)


def client_credentials_cert_sha256(ctx):
    # With public_certificate MSAL Python signs with PS256 and sends x5c and x5t#S256.
    cert_pem, key_pem = ctx.certificate()
    cache = msal.SerializableTokenCache()
    app = ctx.confidential_app(
        {"private_key": key_pem, "public_certificate": cert_pem}, cache)
    return report(app.acquire_token_for_client(GRAPH_DEFAULT), cache)


def refresh_silent(ctx):
    cache = msal.SerializableTokenCache()
    app = ctx.public_app(cache)
    first = ctx.ropc(app, "alice@managed.test", GRAPH_USER_READ)
    if "access_token" not in first:
        return dict(report(first, cache), ok=False)
    accounts = app.get_accounts(username="alice@managed.test")
    if not accounts:
        return dict(report(first, cache), ok=False, error="no account in the cache after ROPC")
    result = app.acquire_token_silent(GRAPH_USER_READ, account=accounts[0], force_refresh=True)
    return report(result, cache)


def on_behalf_of(ctx):
    user_cache = msal.SerializableTokenCache()
    user_token = ctx.ropc(ctx.public_app(user_cache), "alice@managed.test", MIDDLE_TIER_SCOPE)
    if "access_token" not in user_token:
        return dict(report(user_token, user_cache), ok=False)
    cache = msal.SerializableTokenCache()
    app = ctx.confidential_app(ctx.secret(), cache)
    result = app.acquire_token_on_behalf_of(user_token["access_token"], GRAPH_USER_READ)
    return report(result, cache)


def auth_code_pkce(ctx):
    cache = msal.SerializableTokenCache()
    app = ctx.public_app(cache)
    flow = app.initiate_auth_code_flow(
        GRAPH_USER_READ, redirect_uri="http://localhost:8400",
        login_hint="alice@managed.test")
    # The browser step: the emulator signs in the login_hint user and redirects.
    response = ctx.session().get(flow["auth_uri"], allow_redirects=False, timeout=30)
    location = response.headers.get("Location")
    if response.status_code not in (301, 302, 303, 307) or not location:
        return dict(report({}, cache), ok=False,
                    error="authorize answered %d without a redirect" % response.status_code)
    query = urllib.parse.urlparse(location).query
    auth_response = {k: v[0] for k, v in urllib.parse.parse_qs(query).items()}
    result = app.acquire_token_by_auth_code_flow(flow, auth_response)
    return report(result, cache)


def check_bad_password_managed(ctx):
    app = ctx.public_app(msal.SerializableTokenCache())
    result = app.acquire_token_by_username_password(
        "alice@managed.test", "not-the-password", scopes=GRAPH_USER_READ)
    description = result.get("error_description") or ""
    ok = result.get("error") == "invalid_grant" and description.startswith("AADSTS50126")
    return {"ok": ok, "detail": "%s: %s" % (result.get("error"), description[:120])}


def check_bad_password_federated(ctx):
    app = ctx.public_app(msal.SerializableTokenCache())
    try:
        result = app.acquire_token_by_username_password(
            "bob@federated.test", "not-the-password", scopes=GRAPH_DEFAULT)
    except RuntimeError as error:  # MSAL Python raises on a WS-Trust fault
        return {"ok": "ID3242" in str(error), "detail": str(error)[:200]}
    return {"ok": False, "detail": "no WS-Trust fault; result %s" % result.get("error")}


def _between(text, start, end):
    begin = text.index(start)
    return text[begin:text.index(end, begin) + len(end)]


def check_assertion_signature(ctx):
    """Checks the XML signature with an implementation independent of the emulator's:
    the stdlib canonicalizer (C14N 2.0, identical to exclusive c14n for this document) and
    cryptography's RSA, on the assertion MSAL Python's own WS-Trust code obtained."""
    session = ctx.session()
    host = ctx.info["authority_host"].rstrip("/")
    endpoint = msal.mex.send_request(host + "/adfs/services/trust/mex", session)
    user = ctx.user("bob@federated.test")
    wstrust = msal.wstrust_request.send_request(
        user["username"], user["password"], "urn:federation:MicrosoftOnline",
        endpoint["address"], endpoint["action"], session)
    assertion = wstrust["token"].decode("utf-8")
    signature = _between(assertion, "<ds:Signature", "</ds:Signature>")
    content = ET.canonicalize(assertion.replace(signature, ""))
    digest = base64.b64encode(hashlib.sha256(content.encode("utf-8")).digest()).decode()
    claimed = ET.fromstring(signature).find(".//{http://www.w3.org/2000/09/xmldsig#}DigestValue")
    if claimed is None or claimed.text != digest:
        return {"ok": False, "detail": "digest mismatch"}
    signed_info = _between(signature, "<ds:SignedInfo", "</ds:SignedInfo>").replace(
        "<ds:SignedInfo", '<ds:SignedInfo xmlns:ds="http://www.w3.org/2000/09/xmldsig#"', 1)
    signed_info = ET.canonicalize(signed_info)
    sig_root = ET.fromstring(signature)
    ns = {"ds": "http://www.w3.org/2000/09/xmldsig#"}
    value = base64.b64decode(sig_root.find("ds:SignatureValue", ns).text)
    cert = x509.load_der_x509_certificate(
        base64.b64decode(sig_root.find("ds:KeyInfo/ds:X509Data/ds:X509Certificate", ns).text))
    cert.public_key().verify(value, signed_info.encode("utf-8"), padding.PKCS1v15(),
                             hashes.SHA256())
    return {"ok": True, "detail": "%s via %s: digest and RSA-SHA256 signature verify" % (
        wstrust["type"], endpoint["address"])}


CHECKS = [
    ("ropc_bad_password_managed", check_bad_password_managed),
    ("ropc_bad_password_federated", check_bad_password_federated),
    ("wstrust_assertion_signature", check_assertion_signature),
]

FLOWS = [
    ("ropc_managed", ropc_flow("alice@managed.test", GRAPH_USER_READ)),
    ("ropc_federated", ropc_flow("bob@federated.test", GRAPH_DEFAULT)),
    ("ropc_federated2005", ropc_flow("carol@federated2005.test", GRAPH_DEFAULT)),
    ("device_code", device_code),
    ("client_credentials_secret", client_credentials_secret),
    ("client_credentials_cert_thumbprint", client_credentials_cert_thumbprint),
    ("client_credentials_cert_sha256", client_credentials_cert_sha256),
    ("refresh_silent", refresh_silent),
    ("on_behalf_of", on_behalf_of),
    ("auth_code_pkce", auth_code_pkce),
]


def main(argv):
    if len(argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    with open(argv[1]) as f:
        info = json.load(f)
    logging.basicConfig(
        stream=sys.stderr,
        level=logging.DEBUG if os.environ.get("MSAL_DRIVER_DEBUG") else logging.WARNING)
    ctx = Context(info, argv[2])
    only = set(filter(None, os.environ.get("MSAL_DRIVER_FLOWS", "").split(",")))
    flows = {}
    for name, run in FLOWS:
        if only and name not in only:
            continue
        started = time.time()
        try:
            flows[name] = run(ctx)
        except Exception as error:  # a flow's failure must not hide the others
            traceback.print_exc(file=sys.stderr)
            flows[name] = {
                "ok": False, "error": "exception",
                "error_description": "%s: %s" % (type(error).__name__, error),
                "token_source": None, "has_access_token": False, "cache_counts": {},
            }
        flows[name]["seconds"] = round(time.time() - started, 2)
        log("%s: %s (%.2fs)" % (name, "ok" if flows[name]["ok"] else "FAILED: %s %s" % (
            flows[name]["error"], flows[name]["error_description"]), flows[name]["seconds"]))
    checks = {}
    for name, run in CHECKS:
        if only and name not in only:
            continue
        try:
            checks[name] = run(ctx)
        except Exception as error:
            traceback.print_exc(file=sys.stderr)
            checks[name] = {"ok": False, "detail": "%s: %s" % (type(error).__name__, error)}
        log("check %s: %s" % (name, "ok" if checks[name]["ok"] else "FAILED: " + checks[name]["detail"]))
    print(json.dumps(
        {"msal_version": msal.__version__, "flows": flows, "checks": checks}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
