"""The HTTP border: DynamoDB and DynamoDB Streams (AWS JSON 1.0) for unmodified AWS clients, over one store.

``app.py`` the ASGI application (routing by ``X-Amz-Target``, errors, the thread pool, test endpoints);
``wire.py`` JSON in and out, error envelopes, response headers; ``shapes.py`` member types from botocore's service
models; ``auth.py`` SigV4 verification; ``command.py`` the ``logstore serve`` command. Imports only logstore.api (and
the leaves errors and clock) from the engine: the server translates, the engine decides. See docs/server.md.
"""
