"""The official Python client (rxinferclient 0.1.2 from PyPI, a synchronous
client) against our stand-in.

Usage: official_client.py BASE_URL

The stand-in must run with the development token enabled. Each check prints
`ok` or `FAIL`; the exit status is non-zero when any check fails.
"""

import json
import re
import sys

from rxinferclient.api.authentication_api import AuthenticationApi
from rxinferclient.api_client import ApiClient
from rxinferclient.configuration import Configuration
from rxinferclient.rest import ApiException

UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")
UNAUTHORIZED = (
    "The request requires authentication, generate a token using the "
    "/generate-token endpoint or use the development token `dev-token`"
)


def api(url, token=None):
    configuration = Configuration(host=url, access_token=token)
    return AuthenticationApi(ApiClient(configuration))


def main(url):
    failures = 0
    state = {}

    def check(name, body):
        nonlocal failures
        try:
            body()
            print(f"ok    {name}")
        except Exception as error:  # a failed check, whatever raised it
            failures += 1
            print(f"FAIL  {name}: {type(error).__name__}: {error}")

    def generate():
        token = api(url).token_generate().token
        assert UUID.match(token), f"not a UUIDv4: {token!r}"
        state["token"] = token

    def roles_of_generated():
        roles = api(url, state["token"]).token_roles().roles
        assert roles == ["user"], roles

    def unauthorized_without_token():
        try:
            api(url).token_roles()
        except ApiException as error:
            assert error.status == 401, error.status
            body = json.loads(error.body)
            assert body == {"error": "Unauthorized", "message": UNAUTHORIZED}, body
            return
        raise AssertionError("expected a 401")

    def dev_token_with_roles():
        roles = api(url, "dev-token:a,b").token_roles().roles
        assert roles == ["a", "b"], roles

    check("official client: token_generate mints a UUIDv4 token", generate)
    check("official client: token_roles of that token is ['user']", roles_of_generated)
    check("official client: token_roles without a token raises a 401", unauthorized_without_token)
    check("official client: dev-token:a,b has roles ['a', 'b']", dev_token_with_roles)
    print(f"official client: {4 - failures} passed, {failures} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
