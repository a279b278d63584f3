"""protocol._OneWriteResponses over a real socket pair: a response head and its body leave in one write; a head
with no body following in the same event-loop step still goes out at the end of the step, and before a close."""
from __future__ import annotations

import asyncio
import socket

from logstore.server.protocol import _OneWriteResponses


def _run(scenario):
    async def main():
        ours, peer = socket.socketpair()
        peer.setblocking(False)
        loop = asyncio.get_running_loop()
        transport, _ = await loop.connect_accepted_socket(asyncio.Protocol, ours)
        writer = _OneWriteResponses(transport, loop)
        try:
            return await scenario(writer, transport, peer, loop)
        finally:
            transport.close()
            peer.close()
    return asyncio.run(main())


async def _read(peer, loop, n: int) -> bytes:
    got = b""
    while len(got) < n:
        chunk = await asyncio.wait_for(loop.sock_recv(peer, 65536), 5)
        if not chunk:
            break
        got += chunk
    return got


def test_head_and_body_leave_together():
    async def scenario(writer, transport, peer, loop):
        writer.write(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n")
        assert writer._held is not None and transport.get_write_buffer_size() == 0   # nothing sent yet
        writer.write(b"{}")
        assert writer._held is None
        return await _read(peer, loop, 40)
    assert _run(scenario) == b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n{}"


def test_a_lone_head_goes_out_at_the_end_of_the_step_and_before_close():
    async def scenario(writer, transport, peer, loop):
        writer.write(b"HTTP/1.1 204 No Content\r\n\r\n")
        await asyncio.sleep(0)
        first = await _read(peer, loop, 27)
        writer.write(b"HTTP/1.1 100 Continue\r\n\r\n")           # never held
        assert writer._held is None
        second = await _read(peer, loop, 25)
        writer.write(b"HTTP/1.1 200 OK\r\n\r\n")
        writer.close()
        third = await _read(peer, loop, 100)
        return first, second, third
    assert _run(scenario) == (b"HTTP/1.1 204 No Content\r\n\r\n", b"HTTP/1.1 100 Continue\r\n\r\n",
                              b"HTTP/1.1 200 OK\r\n\r\n")
