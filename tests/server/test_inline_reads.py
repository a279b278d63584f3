"""The reads the server answers on its event loop (app.INLINE_TARGETS) are real operations and never writes."""
from logstore.api.operations import ROUTES
from logstore.server.app import INLINE_TARGETS

WRITES = ("Put", "Update", "Delete", "Create", "Transact", "BatchWrite", "Tag", "Untag", "Restore", "Import",
          "Export", "Enable", "Disable")


def test_every_inline_target_is_a_routed_read():
    routed = {f"{prefix}.{op}" for prefix, ops in ROUTES.items() for op in ops}
    assert INLINE_TARGETS and INLINE_TARGETS <= routed
    for target in INLINE_TARGETS:
        op = target.split(".", 1)[1]
        assert not op.startswith(WRITES), target
    assert "DynamoDBStreams_20120810.GetRecords" in INLINE_TARGETS
