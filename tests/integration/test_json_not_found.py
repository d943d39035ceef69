"""Every answer of the API is JSON, as upstream's: unknown paths and wrong methods too, whatever DEBUG is."""

import pytest
from django.test import Client, override_settings

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.parametrize("debug", [True, False])
@pytest.mark.parametrize("method", ["get", "post", "put", "delete"])
def test_an_unknown_path_is_a_json_404(method: str, debug: bool) -> None:
    with override_settings(DEBUG=debug):
        response = getattr(Client(), method)("/no/such/path", content_type="application/json")
    assert response.status_code == 404
    assert response["content-type"] == "application/json"
    assert response.json() == {"detail": "Not Found"}


def test_a_method_the_path_does_not_take_is_a_json_405() -> None:
    with override_settings(DEBUG=True):
        response = Client().delete("/ok")
    assert response.status_code == 405
    assert response.json() == {"detail": "Method Not Allowed"}
