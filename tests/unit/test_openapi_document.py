"""`make openapi` writes the document the gateway serves, every channel's endpoint in it and every
refusal described as problem+json, but Open311's, which are its own errors in JSON or XML; and every
operation lists the 500 it answers if it fails, in the same shape."""

from services.gateway.openapi_document import document


def test_the_written_document_has_every_channel_and_describes_each_refusal_as_a_problem_or_open311s():
    written = document()
    paths = written["paths"]
    assert isinstance(paths, dict)
    for path in ("/v1/contacts/web", "/v1/contacts/voice", "/v1/voice/calls/{call_id}/events"):
        assert path in paths
    assert "/v1/channels/twilio/sms" in paths
    assert "/open311/v2/requests.{response_format}" in paths

    def refusals(open311: bool) -> list[dict[str, object]]:
        return [
            response
            for path, operations in paths.items()
            if path.startswith("/open311/") == open311
            for operation in operations.values()
            for status, response in operation["responses"].items()
            if status.isdigit() and int(status) >= 400
        ]

    assert refusals(open311=False)
    assert all(list(r["content"]) == ["application/problem+json"] for r in refusals(open311=False))  # type: ignore[call-overload]
    assert refusals(open311=True)
    assert all(
        list(r["content"]) == ["application/json", "text/xml; charset=utf-8"] for r in refusals(open311=True)
    )  # type: ignore[call-overload]


def test_every_operation_lists_a_server_error_500_in_the_shape_of_its_refusals():
    written = document()
    paths = written["paths"]
    assert isinstance(paths, dict)
    problem = {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}
    for path, operations in paths.items():
        for method, operation in operations.items():
            listed = operation["responses"].get("500")
            assert listed is not None, f"{method.upper()} {path} does not list 500"
            if path.startswith("/open311/"):
                assert list(listed["content"]) == ["application/json", "text/xml; charset=utf-8"]
            else:
                assert listed["content"] == problem, f"{method.upper()} {path}"
    schemas = written["components"]["schemas"]  # type: ignore[index]
    assert {"title", "status"} <= set(schemas["Problem"]["required"])
