"""Translating API answers and transport failures into one-line project errors."""

from __future__ import annotations

import json

import pytest

from kubectl_rollouts_py import errors
from kubectl_rollouts_py.kube import errors as kube_errors
from kubectl_rollouts_py.kube import resources


def status(code: int, reason: str, message: str) -> bytes:
    return json.dumps({"kind": "Status", "apiVersion": "v1", "status": "Failure", "code": code, "reason": reason, "message": message}).encode()


@pytest.mark.parametrize(
    ("code", "cls"),
    [
        (403, errors.Forbidden),
        (404, errors.NotFound),
        (409, errors.Conflict),
        (410, errors.Expired),
        (422, errors.ApiError),
        (500, errors.ApiError),
    ],
)
def test_status_bodies_give_the_server_message_and_the_right_class(code, cls):
    err = kube_errors.from_response(code, status(code, "Reason", f"message {code}"))
    assert type(err) is cls
    assert (str(err), err.status, err.reason) == (f"message {code}", code, "Reason")


def test_unauthorized_uses_kubectl_wording():
    assert str(kube_errors.from_response(401, b"")) == "You must be logged in to the server (Unauthorized)"
    assert str(kube_errors.from_response(401, status(401, "Unauthorized", "Unauthorized"))) == (
        "You must be logged in to the server (Unauthorized)"
    )
    err = kube_errors.from_response(401, status(401, "Unauthorized", "token has expired"))
    assert isinstance(err, errors.Unauthorized)
    assert str(err) == "You must be logged in to the server (token has expired)"


def test_bodies_that_are_not_status_fall_back_to_the_code():
    assert str(kube_errors.from_response(502, b"<html>Bad gateway</html>")) == "the server returned HTTP 502"
    assert str(kube_errors.from_response(503, b"upstream unavailable")) == "the server returned HTTP 503: upstream unavailable"
    assert kube_errors.from_response(503, b"").reason == "ServiceUnavailable"


def test_plain_404_for_a_resource_means_the_api_group_is_not_served():
    err = kube_errors.from_response(404, b"404 page not found\n", resource=resources.ROLLOUTS)
    assert isinstance(err, errors.NotFound)
    assert str(err) == "the server does not serve rollouts.argoproj.io; is its CustomResourceDefinition installed?"


def test_watch_error_events_carry_their_status():
    err = kube_errors.from_status_object({"kind": "Status", "code": 410, "reason": "Expired", "message": "too old resource version: 1 (9)"})
    assert isinstance(err, errors.Expired)
    assert str(err) == "too old resource version: 1 (9)"
