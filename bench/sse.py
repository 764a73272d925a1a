"""Raw HTTP/1.1 clients for the live benchmark: many open Server-Sent Events streams,
and many pages polling on a timer, all in one asyncio loop on a thread of its own.

It imports nothing from Django: the benchmark's main thread keeps the ORM (posting
the fan-out message, making sessions) while this loop holds the sockets, so neither
blocks the other and Django never sees a running event loop in its thread.

Times are `time.monotonic()` of this process, so the main thread can compare them
with the moment it committed a message.
"""

import asyncio
import json
import random
import threading
import time
from dataclasses import dataclass, field


@dataclass
class Stream:
    """One open stream, as a page would hold it: who it is, what it received."""

    label: str  # persona: customer, staff, admin
    user_id: int
    cookie: str
    status: int | None = None
    error: str | None = None
    ready_at: float | None = None
    pings: int = 0
    events: list = field(default_factory=list)  # (monotonic time, event name, data, id)
    closed: bool = False
    _writer: object = None


class Fleet:
    """An asyncio loop on a background thread; the methods are called from the main thread."""

    def __init__(self, host, port):
        self.host = host
        self.port = port
        self.streams: list[Stream] = []
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, name="bench-sse", daemon=True)
        self._thread.start()

    def _call(self, coroutine, timeout=None):
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout)

    # -- streams ---------------------------------------------------------------------
    def open_streams(self, people, *, concurrency=50, timeout=120):
        """Open one stream per (label, user_id, cookie); wait until each has its `ready`
        event or failed. Returns the streams that are ready."""
        streams = [Stream(label, user_id, cookie) for label, user_id, cookie in people]
        self.streams.extend(streams)
        self._call(self._open_all(streams, concurrency), timeout)
        return [s for s in streams if s.ready_at is not None]

    async def _open_all(self, streams, concurrency):
        gate = asyncio.Semaphore(concurrency)
        ready = [asyncio.Event() for _ in streams]
        for stream, event in zip(streams, ready):
            self.loop.create_task(self._hold(stream, gate, event))
        await asyncio.gather(*(event.wait() for event in ready))

    async def _hold(self, stream, gate, ready):
        """Connect, read the headers, then parse events until the server or close_all ends it."""
        try:
            async with gate:
                reader, writer = await asyncio.wait_for(asyncio.open_connection(self.host, self.port), 30)
                stream._writer = writer
                writer.write((f"GET /live/stream HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n"
                              f"Cookie: {stream.cookie}\r\nAccept: text/event-stream\r\n"
                              "Cache-Control: no-cache\r\n\r\n").encode())
                head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 60)
                lines = head.decode("latin-1").split("\r\n")
                stream.status = int(lines[0].split()[1])
                headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:] if line)}
                if stream.status != 200:
                    stream.error = f"HTTP {stream.status}"
                    ready.set()
                    writer.close()
                    return
                chunked = headers.get("transfer-encoding", "").lower() == "chunked"
            await self._read_events(stream, reader, chunked, ready)
        except (OSError, asyncio.IncompleteReadError, asyncio.TimeoutError, ValueError) as error:
            if stream.ready_at is None and stream.error is None:
                stream.error = f"{type(error).__name__}: {error}"
        finally:
            stream.closed = True
            ready.set()

    async def _read_events(self, stream, reader, chunked, ready):
        buffer = ""
        while True:
            if chunked:
                size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
                if size == 0:
                    return
                data = await reader.readexactly(size + 2)
                text = data[:-2].decode()
            else:
                data = await reader.read(65536)
                if not data:
                    return
                text = data.decode()
            buffer += text.replace("\r\n", "\n")
            while "\n\n" in buffer:
                block, buffer = buffer.split("\n\n", 1)
                self._dispatch(stream, block, ready)

    @staticmethod
    def _dispatch(stream, block, ready):
        now = time.monotonic()
        name, data, event_id, comment = "message", [], None, False
        for line in block.split("\n"):
            if line.startswith(":"):
                comment = True
                continue
            key, _, value = line.partition(":")
            value = value[1:] if value.startswith(" ") else value
            if key == "event":
                name = value
            elif key == "data":
                data.append(value)
            elif key == "id":
                event_id = value
        if name == "ping" or (not data and comment):  # the heartbeat (an event; a comment line before)
            stream.pings += 1
            return
        if not data:
            return  # e.g. the `retry:` block
        try:
            payload = json.loads("\n".join(data))
        except ValueError:
            payload = "\n".join(data)
        stream.events.append((now, name, payload, event_id))
        if name == "ready" and stream.ready_at is None:
            stream.ready_at = now
            ready.set()

    def close_all(self):
        async def close():
            for stream in self.streams:
                if stream._writer is not None and not stream._writer.is_closing():
                    stream._writer.close()
            await asyncio.sleep(0.5)
        self._call(close(), 60)

    def stop(self):
        self.close_all()
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(10)

    # -- pollers ---------------------------------------------------------------------
    def poll(self, pages, *, every, seconds, concurrency=200, seed=1):
        """Each page (path, cookie) polls every `every` seconds, starting at a random
        phase, for `seconds`; one request per connection (gunicorn's sync workers close
        it anyway). Returns {"requests", "statuses", "late"}."""
        return self._call(self._poll(pages, every, seconds, concurrency, seed), seconds + 120)

    async def _poll(self, pages, every, seconds, concurrency, seed):
        rng = random.Random(seed)
        schedule = []
        for path, cookie in pages:
            t = rng.uniform(0, every)
            while t < seconds:
                schedule.append((t, path, cookie))
                t += every
        schedule.sort(key=lambda item: item[0])
        gate = asyncio.Semaphore(concurrency)
        statuses: dict = {}
        late = 0
        tasks = []
        started = time.monotonic()
        for t, path, cookie in schedule:
            delay = started + t - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            elif delay < -1:
                late += 1
            tasks.append(self.loop.create_task(self._get(gate, path, cookie, statuses)))
        await asyncio.gather(*tasks)
        return {"requests": len(schedule), "statuses": statuses, "late": late,
                "seconds": round(time.monotonic() - started, 1)}

    async def _get(self, gate, path, cookie, statuses):
        async with gate:
            try:
                reader, writer = await asyncio.wait_for(asyncio.open_connection(self.host, self.port), 30)
                writer.write((f"GET {path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\nCookie: {cookie}\r\n"
                              "Connection: close\r\n\r\n").encode())
                response = await asyncio.wait_for(reader.read(), 30)
                writer.close()
                status = int(response.split(b" ", 2)[1]) if response else "empty"
            except (OSError, asyncio.TimeoutError, ValueError, IndexError) as error:
                status = type(error).__name__
        statuses[status] = statuses.get(status, 0) + 1
