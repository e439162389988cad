"""The review queue and label API deployed: both routes are IAM-authorised proxies to the cases function, the
analyst role may invoke them, API Gateway may invoke the function for these two routes only, and the function's
role is granted exactly what handlers/cases.py does."""

from __future__ import annotations

import fnmatch
import json

from components.openapi import ITEM_PATH
from contracts.aws import LABEL_PATH_SUFFIX, REVIEWS_PATH, TRANSACTIONS_PATH
from tests.infra.graph import Graph

ACCOUNT = "123456789012"
LABEL_PATH = f"{ITEM_PATH}{LABEL_PATH_SUFFIX}"


def _operations(graph: Graph) -> dict[str, dict]:
    body = json.loads(graph.one("aws:apigateway/restApi:RestApi").inputs["body"])
    return {"GET reviews": body["paths"][REVIEWS_PATH]["get"], "POST label": body["paths"][LABEL_PATH]["post"]}


def test_both_routes_are_iam_authorised_proxies_to_the_cases_function(graph: Graph) -> None:
    for name, operation in _operations(graph).items():
        assert operation["security"] == [{"sigv4": []}], name  # AWS_IAM, no API key
        integration = operation["x-amazon-apigateway-integration"]
        assert integration["type"] == "aws_proxy", name
        assert integration["httpMethod"] == "POST", name
        assert integration["uri"].endswith(f":function:securebank-cases-{graph.stack}/invocations"), name
        assert operation["x-amazon-apigateway-request-validator"] == "all", name


def test_the_label_body_is_validated_by_its_schema_before_the_function(graph: Graph) -> None:
    body = json.loads(graph.one("aws:apigateway/restApi:RestApi").inputs["body"])
    schema = body["paths"][LABEL_PATH]["post"]["requestBody"]["content"]["application/json"]["schema"]
    request = body["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    assert request["additionalProperties"] is False
    assert request["required"] == ["customer_id", "is_fraud", "source"]
    assert request["properties"]["source"]["enum"] == ["analyst", "chargeback", "customer"]


def test_the_analyst_role_may_invoke_the_review_and_label_routes(graph: Graph) -> None:
    [grant] = graph.named("access-analyst-invoke").statements()
    stage = graph.one("aws:apigateway/stage:Stage").inputs
    api = f"arn:aws:execute-api:us-east-1:{ACCOUNT}:{stage['restApi']}/{stage['stageName']}"

    def allowed(arn: str) -> bool:
        return any(fnmatch.fnmatchcase(arn, pattern) for pattern in grant["Resource"])

    assert allowed(f"{api}/GET{REVIEWS_PATH}")
    assert allowed(f"{api}/POST{TRANSACTIONS_PATH}/tx_1{LABEL_PATH_SUFFIX}")
    assert not allowed(f"{api}/POST{TRANSACTIONS_PATH}")  # submissions stay with the API key's clients
    assert not allowed(f"{api}/DELETE{REVIEWS_PATH}")


def test_api_gateway_may_invoke_the_cases_function_for_its_two_routes_only(graph: Graph) -> None:
    permissions = {
        p.name: p.inputs for p in graph.of_type("aws:lambda/permission:Permission") if "invokes-cases" in p.name
    }
    assert {p["function"] for p in permissions.values()} == {f"securebank-cases-{graph.stack}"}
    assert {p["principal"] for p in permissions.values()} == {"apigateway.amazonaws.com"}
    suffixes = sorted(p["sourceArn"].split(":", 5)[5].split("/", 1)[1] for p in permissions.values())
    assert suffixes == [f"*/GET{REVIEWS_PATH}", f"*/POST{TRANSACTIONS_PATH}/*{LABEL_PATH_SUFFIX}"]


def test_the_cases_role_is_granted_exactly_what_the_function_does(graph: Graph) -> None:
    table = f"arn:aws:dynamodb:us-east-1:{ACCOUNT}:table/SecureBank-Transactions-{graph.stack}"
    bucket = f"arn:aws:s3:::securebank-data-lake-{graph.stack}"
    statements = graph.named("processing-cases-policy").statements()
    granted: dict[str, list[str]] = {}
    for statement in statements:
        for action in statement["Action"]:
            granted.setdefault(action, []).extend(statement["Resource"])
    data = {a: r for a, r in granted.items() if a.startswith(("dynamodb:", "s3:"))}
    assert data == {
        "dynamodb:Query": [f"{table}/index/ReviewIndex"],
        "dynamodb:GetItem": [table],
        "dynamodb:UpdateItem": [table],
        "s3:PutObject": [f"{bucket}/labels/*"],
    }
    kms = [s for s in statements if any(a.startswith("kms:") for a in s["Action"]) and s.get("Condition")]
    assert {s["Condition"]["StringEquals"]["kms:ViaService"] for s in kms} == {
        "dynamodb.us-east-1.amazonaws.com",
        "s3.us-east-1.amazonaws.com",
    }


def test_the_cases_function_runs_like_the_query_function(graph: Graph) -> None:
    functions = {f.name: f.inputs for f in graph.of_type("aws:lambda/function:Function")}
    cases, query = functions["processing-cases"], functions["processing-query"]
    assert cases["handler"] == "handlers.cases.lambda_handler"
    assert cases["reservedConcurrentExecutions"] == query["reservedConcurrentExecutions"]
    assert cases["vpcConfig"] == query["vpcConfig"]
    assert set(cases["environment"]["variables"]) >= {"TRANSACTIONS_TABLE", "LAKE_BUCKET"}
    assert "CUSTOMERS_TABLE" not in cases["environment"]["variables"]
