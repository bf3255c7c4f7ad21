"""The official Python client (rxinferclient 0.1.2 from PyPI, a synchronous
client) against our stand-in: its Authentication, Server and Models APIs,
and the Beta-Bernoulli trace of the real server's own tests, with the same
numbers.

Usage: official_client.py BASE_URL

The stand-in must run with the development token enabled. Each check prints
`ok` or `FAIL`; the exit status is non-zero when any check fails.
"""

import json
import re
import sys

from rxinferclient.api.authentication_api import AuthenticationApi
from rxinferclient.api.models_api import ModelsApi
from rxinferclient.api.server_api import ServerApi
from rxinferclient.api_client import ApiClient
from rxinferclient.configuration import Configuration
from rxinferclient.models.attach_events_to_episode_request import AttachEventsToEpisodeRequest
from rxinferclient.models.attach_events_to_episode_request_events_inner import (
    AttachEventsToEpisodeRequestEventsInner,
)
from rxinferclient.models.create_episode_request import CreateEpisodeRequest
from rxinferclient.models.create_model_instance_request import CreateModelInstanceRequest
from rxinferclient.models.infer_request import InferRequest
from rxinferclient.models.learn_request import LearnRequest
from rxinferclient.rest import ApiException

UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")
UNAUTHORIZED = (
    "The request requires authentication, generate a token using the "
    "/generate-token endpoint or use the development token `dev-token`"
)


def api(url, token=None, group=AuthenticationApi):
    configuration = Configuration(host=url, access_token=token)
    return group(ApiClient(configuration))


def status_of(call):
    """The status of the ApiException `call` raises."""
    try:
        call()
    except ApiException as error:
        return error.status
    raise AssertionError("expected an error status")


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

    def server_api():
        server = api(url, state["token"], ServerApi)
        assert server.ping_server().status == "ok"
        info = server.get_server_info()
        assert info.api_version == "v1", info
        assert status_of(lambda: api(url, None, ServerApi).get_server_info()) == 401

    def models_api():
        models = api(url, state["token"], ModelsApi)
        names = [m.details.name for m in models.get_available_models()]
        assert "BetaBernoulli-v1" in names, names
        assert status_of(lambda: models.get_available_model("NoSuchModel-v1")) == 404
        created = models.create_model_instance(
            CreateModelInstanceRequest(model_name="BetaBernoulli-v1", description="coin")
        )
        state["coin"] = created.instance_id
        assert [i.instance_id for i in models.get_model_instances()] == [created.instance_id]
        instance = models.get_model_instance(created.instance_id)
        assert instance.current_episode == "default", instance
        # Another token's instance is a 404, never a 401.
        other = api(url, "dev-token", ModelsApi)
        assert status_of(lambda: other.get_model_instance(created.instance_id)) == 404

    def beta_bernoulli_trace():
        models = api(url, state["token"], ModelsApi)
        coin = state["coin"]

        def attach(xs):
            events = [AttachEventsToEpisodeRequestEventsInner(data={"observation": x}) for x in xs]
            models.attach_events_to_episode(coin, "default", AttachEventsToEpisodeRequest(events=events))

        def learn():
            return models.run_learning(coin, LearnRequest(episodes=["default"])).learned_parameters

        def infer(x):
            return models.run_inference(coin, InferRequest(data={"observation": x}))

        attach([1, 1, 0, 1, 1, 1, 0, 1, 1, 1])
        assert learn() == {"posterior_a": 9.0, "posterior_b": 3.0}
        attach([0, 1, 0, 0, 1, 0, 0, 1, 0, 0])
        assert learn() == {"posterior_a": 12.0, "posterior_b": 10.0}
        for _ in range(2):
            assert infer(1).results["mean_p"] == 13 / 23
        assert learn() == {"posterior_a": 14.0, "posterior_b": 10.0}
        last = infer(1)
        assert last.results["mean_p"] == 0.6, last
        assert last.event_id == 23, last
        parameters = models.get_model_instance_parameters(coin).parameters
        assert parameters == {"posterior_a": 14.0, "posterior_b": 10.0}, parameters
        assert models.get_model_instance_state(coin).state["number_of_infer_calls"] == 3

    def episodes():
        models = api(url, state["token"], ModelsApi)
        coin = state["coin"]
        models.create_episode(coin, CreateEpisodeRequest(name="exp 1/a?b#c%"))
        names = sorted(e.episode_name for e in models.get_episodes(coin))
        assert names == ["default", "exp 1/a?b#c%"], names
        info = models.get_episode_info(coin, "exp 1/a?b#c%")
        assert info.events == [], info
        models.wipe_episode(coin, "default")
        assert models.get_episode_info(coin, "default").events == []
        assert status_of(lambda: models.delete_episode(coin, "default")) == 400
        models.delete_model_instance(coin)
        assert status_of(lambda: models.get_model_instance(coin)) == 404

    checks = [
        ("token_generate mints a UUIDv4 token", generate),
        ("token_roles of that token is ['user']", roles_of_generated),
        ("token_roles without a token raises a 401", unauthorized_without_token),
        ("dev-token:a,b has roles ['a', 'b']", dev_token_with_roles),
        ("Server API: ping, info, info without a token is a 401", server_api),
        ("Models API: discovery, creation, another token's instance is a 404", models_api),
        ("Models API: the Beta-Bernoulli trace of the server's tests, same numbers", beta_bernoulli_trace),
        ("Models API: episodes with reserved characters, wipe, default kept, delete", episodes),
    ]
    for name, body in checks:
        check(f"official client: {name}", body)
    print(f"official client: {len(checks) - failures} passed, {failures} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
