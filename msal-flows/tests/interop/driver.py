"""MSAL Python side of the cache interop test (msal-flows/tests/interop_msal_python.rs).

Usage:
  driver.py write INFO_JSON CA_PEM USER_CACHE APP_CACHE
      ROPC (alice@managed.test, User.Read) with the public app into USER_CACHE, and client
      credentials (secret, .default) with the confidential app into APP_CACHE.
  driver.py read INFO_JSON CA_PEM USER_CACHE APP_CACHE
      Loads both files and asks silently: acquire_token_silent for alice, and
      acquire_token_for_client (cache first). Nothing is written back.

Prints one JSON document on stdout: {"msal_version", "user": report, "app": report} where a
report is {ok, error, error_description, token_source, access_token_sha256}. Tokens never
leave this process in clear; their SHA-256 lets the caller compare them with its own.
"""

import hashlib
import json
import os
import sys

for _name in ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE", "SSL_CERT_FILE"):
    os.environ.pop(_name, None)

import msal  # noqa: E402
import requests  # noqa: E402

PUBLIC_CLIENT_ID = "11111111-1111-1111-1111-111111111111"
CONFIDENTIAL_CLIENT_ID = "22222222-2222-2222-2222-222222222222"
USER_READ = ["https://graph.microsoft.com/User.Read"]
GRAPH_DEFAULT = ["https://graph.microsoft.com/.default"]
USERNAME = "alice@managed.test"


def session(ca_path):
    s = requests.Session()
    s.trust_env = False
    s.verify = ca_path
    return s


def report(result):
    result = result or {}
    token = result.get("access_token")
    return {
        "ok": bool(token),
        "error": result.get("error"),
        "error_description": result.get("error_description"),
        "token_source": result.get("token_source"),
        "access_token_sha256": hashlib.sha256(token.encode()).hexdigest() if token else None,
    }


def load(path):
    cache = msal.SerializableTokenCache()
    if os.path.exists(path):
        with open(path) as f:
            cache.deserialize(f.read())
    return cache


def save(cache, path):
    with open(path, "w") as f:
        f.write(cache.serialize())


def apps(info, ca_path, user_cache, app_cache):
    authority = "%s/%s" % (info["authority_host"].rstrip("/"), info["tenants"][0]["tenant_id"])
    secret = next(a for a in info["apps"] if a["client_id"] == CONFIDENTIAL_CLIENT_ID)["client_secret"]
    public = msal.PublicClientApplication(
        PUBLIC_CLIENT_ID, authority=authority, instance_discovery=False,
        http_client=session(ca_path), token_cache=user_cache, timeout=30)
    confidential = msal.ConfidentialClientApplication(
        CONFIDENTIAL_CLIENT_ID, client_credential=secret, authority=authority,
        instance_discovery=False, http_client=session(ca_path), token_cache=app_cache, timeout=30)
    return public, confidential


def write(info, ca_path, user_path, app_path):
    user_cache, app_cache = msal.SerializableTokenCache(), msal.SerializableTokenCache()
    public, confidential = apps(info, ca_path, user_cache, app_cache)
    password = next(u for u in info["users"] if u["username"] == USERNAME)["password"]
    user = public.acquire_token_by_username_password(USERNAME, password, scopes=USER_READ)
    app = confidential.acquire_token_for_client(GRAPH_DEFAULT)
    save(user_cache, user_path)
    save(app_cache, app_path)
    return {"user": report(user), "app": report(app)}


def read(info, ca_path, user_path, app_path):
    public, confidential = apps(info, ca_path, load(user_path), load(app_path))
    accounts = public.get_accounts(username=USERNAME)
    if accounts:
        user = public.acquire_token_silent(USER_READ, account=accounts[0])
    else:
        user = {"error": "no_account", "error_description": "get_accounts found no %s" % USERNAME}
    if user is None:
        user = {"error": "none", "error_description": "acquire_token_silent returned None"}
    app = confidential.acquire_token_for_client(GRAPH_DEFAULT)  # cache first since 1.23
    return {"user": report(user), "app": report(app), "accounts": len(accounts)}


def main(argv):
    if len(argv) != 6 or argv[1] not in ("write", "read"):
        print(__doc__, file=sys.stderr)
        return 2
    with open(argv[2]) as f:
        info = json.load(f)
    run = write if argv[1] == "write" else read
    out = run(info, argv[3], argv[4], argv[5])
    out["msal_version"] = msal.__version__
    print(json.dumps(out, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
