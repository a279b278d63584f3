"""The smoke run of an install, as a script for a child interpreter: a store with a stream, one write, its change
record read back; prints the record's new image."""

SMOKE = """
import logstore
with logstore.open("s") as store:
    store.create_table(TableName="users", BillingMode="PAY_PER_REQUEST",
                       KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                       AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                       StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"})
    store.put_item(TableName="users", Item={"pk": {"S": "a"}})
    arn = store.list_streams(TableName="users")["Streams"][0]["StreamArn"]
    shard = store.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]["ShardId"]
    it = store.get_shard_iterator(StreamArn=arn, ShardId=shard, ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
    print(store.get_records(ShardIterator=it)["Records"][0]["dynamodb"]["NewImage"])
"""
