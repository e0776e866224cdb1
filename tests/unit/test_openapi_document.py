"""`make openapi` writes the document the gateway serves, every channel's endpoint in it and every
refusal described as problem+json."""

from services.gateway.openapi_document import document


def test_the_written_document_has_every_channel_and_describes_each_refusal_as_a_problem():
    written = document()
    paths = written["paths"]
    assert isinstance(paths, dict)
    for path in ("/v1/contacts/web", "/v1/contacts/voice", "/v1/voice/calls/{call_id}/events"):
        assert path in paths
    assert "/v1/channels/twilio/sms" in paths
    refusals = [
        response
        for operations in paths.values()
        for operation in operations.values()
        for status, response in operation["responses"].items()
        if status.isdigit() and int(status) >= 400
    ]
    assert refusals
    assert all(list(r["content"]) == ["application/problem+json"] for r in refusals)
