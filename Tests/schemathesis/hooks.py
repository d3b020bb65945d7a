"""Schemathesis hooks for the broker's contract test (Tests/EIPBrokerTests/ContractTests.swift)."""

import schemathesis


@schemathesis.hook
def before_load_schema(ctx, raw_schema):
    """`pageToken` is an opaque cursor only the server mints: any other value is rightly `400
    InvalidArgument` ("is not a token this server issued"), which no schema can state. Generated
    cases leave it out; the Swift tests page with real tokens."""
    for item in raw_schema.get("paths", {}).values():
        for operation in item.values():
            if isinstance(operation, dict) and "parameters" in operation:
                operation["parameters"] = [
                    p for p in operation["parameters"] if p.get("$ref") != "#/components/parameters/PageToken"
                ]


# CPython 3.11 can fail `ast.parse` of a large file with "SystemError: AST constructor recursion
# depth mismatch" (python/cpython#106905), which hypothesis hits when it names a filter lambda of
# schemathesis' coverage phase. The name is only for display: fall back to a plain one.
from hypothesis.internal import lambda_sources

_describe_lambda = lambda_sources.lambda_description


def _lambda_description(f):
    try:
        return _describe_lambda(f)
    except SystemError:
        return "lambda"


lambda_sources.lambda_description = _lambda_description
