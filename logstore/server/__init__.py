"""The HTTP border: DynamoDB and DynamoDB Streams (AWS JSON 1.0) for unmodified AWS clients, over one store.

``app.py`` the ASGI application (routing by ``X-Amz-Target``, errors, the thread pool, test endpoints);
``dispatch.py`` one request from SigV4 to the engine's answer (member types checked by logstore.api.members, the
same check the embedded store makes); ``wire.py`` JSON in and out, error envelopes, response headers; ``auth.py``
SigV4 verification; ``command.py`` the ``logstore serve`` command. Imports only logstore.api (and
the leaves errors and clock) from the engine: the server translates, the engine decides. See docs/server.md.
"""
