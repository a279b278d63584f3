"""An application under test: plain boto3, no knowledge of logstore. Clients use the default configuration, so
the mock (in process) or the environment (``AWS_ENDPOINT_URL_DYNAMODB``... for a server) decides where they go."""
import boto3


def make_table(name: str) -> str:
    ddb = boto3.client("dynamodb")
    out = ddb.create_table(TableName=name, BillingMode="PAY_PER_REQUEST",
                           KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
                           AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
                           StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"})
    return out["TableDescription"]["LatestStreamArn"]


def place_order(table: str, order_id: str, qty: int) -> None:
    boto3.resource("dynamodb").Table(table).put_item(Item={"id": order_id, "qty": qty})


def shard_ids(stream_arn: str) -> list[str]:
    streams = boto3.client("dynamodbstreams")
    return [s["ShardId"] for s in streams.describe_stream(StreamArn=stream_arn)["StreamDescription"]["Shards"]]
