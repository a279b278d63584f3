"""The Store's operation methods (api/operations.py) are generated from botocore's service models by
dev/gen_operations.py: the committed module is what the generator makes from the installed botocore, every
routed operation is a real method with the model's members as its keyword-only parameters and a docstring, and
the server routes by the same table."""
from __future__ import annotations

import importlib.util
import inspect
from pathlib import Path

import botocore.loaders
import botocore.model

import logstore
from logstore.api import operations
from logstore.api.store import Store
from logstore.server import dispatch

ROOT = Path(__file__).resolve().parents[2]
SERVICES = {"DynamoDB_20120810": "dynamodb", "DynamoDBStreams_20120810": "dynamodbstreams"}


def _generator():
    spec = importlib.util.spec_from_file_location("gen_operations", ROOT / "dev" / "gen_operations.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_committed_module_is_what_the_generator_makes():
    assert (ROOT / "logstore" / "api" / "operations.py").read_text() == _generator().generate(), \
        "api/operations.py is stale: run .venv/bin/python dev/gen_operations.py"


def test_every_operation_is_a_method_with_the_models_members():
    loader = botocore.loaders.Loader()
    for prefix, routes in operations.ROUTES.items():
        model = botocore.model.ServiceModel(loader.load_service_model(SERVICES[prefix], "service-2"),
                                            SERVICES[prefix])
        for operation, name in routes.items():
            fn = Store.__dict__.get(name) or operations.StoreOperations.__dict__[name]
            assert inspect.isfunction(fn), name
            assert fn.__doc__ and fn.__doc__.startswith(f"{operation}: "), name
            params = inspect.signature(fn).parameters
            shape = model.operation_model(operation).input_shape
            members = list(shape.members) if shape is not None else []
            assert [p for p in params if p not in ("self", "unknown")] == members, name
            assert all(p.kind is inspect.Parameter.KEYWORD_ONLY and p.default is None
                       for n, p in params.items() if n not in ("self", "unknown")), name
            assert params["unknown"].kind is inspect.Parameter.VAR_KEYWORD, name   # answered, not a TypeError


def test_no_attribute_dispatch_and_the_server_routes_by_the_same_table():
    assert "__getattr__" not in Store.__dict__
    assert dispatch.ENGINE_OPERATIONS is operations.ROUTES


def test_a_method_call_passes_only_the_members_given(tmp_path):
    with logstore.open(tmp_path / "s", durable=False) as store:
        store.create_table(TableName="tbl", KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                           AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                           BillingMode="PAY_PER_REQUEST")
        store.put_item(TableName="tbl", Item={"pk": {"S": "a"}, "b": {"B": b"\x00"}}, ReturnValues=None)
        assert store.get_item(TableName="tbl", Key={"pk": {"S": "a"}}) == \
            store.call("GetItem", {"TableName": "tbl", "Key": {"pk": {"S": "a"}}}) == \
            {"Item": {"pk": {"S": "a"}, "b": {"B": b"\x00"}}}
        assert store.list_tables() == {"TableNames": ["tbl"]}
