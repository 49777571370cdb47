"""The real function targets behind the gateway, started exactly as `make run` starts them."""

from __future__ import annotations

import httpx

from devstack.harness import StackHandle


def test_the_catalogue_answers_through_the_gateway(stack: StackHandle) -> None:
    answer = httpx.get(f"{stack.base_url}/v1/programs")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("application/json")
    assert {"programs", "complaint_categories", "kecamatan"} <= answer.json().keys()


def test_an_unknown_api_path_is_a_json_404_from_the_default_target(stack: StackHandle) -> None:
    answer = httpx.get(f"{stack.base_url}/v1/no-such-thing")
    assert answer.status_code == 404
    assert "error" in answer.json()


def test_every_target_process_answers(stack: StackHandle) -> None:
    for name in stack.topology.targets:
        # functions-framework answers /robots.txt itself, without running the handler
        assert httpx.get(f"{stack.target_url(name)}/robots.txt").status_code in {404, 405}, name
