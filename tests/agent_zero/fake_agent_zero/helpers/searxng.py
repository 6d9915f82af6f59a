"""Stand-in of Agent Zero's helpers/searxng.py. ``_search`` is the one runtime function a0ipc
runs in the framework process (it talks HTTP to a SearXNG), so this one really works: it POSTs
the form q=<query>&format=json to URL and returns the JSON, as Agent Zero's does with aiohttp.
Without aiohttp here, a refused connection raises ClientConnectorError worded as aiohttp's."""
import asyncio
import json
import urllib.error
import urllib.parse
import urllib.request

URL = "http://localhost:55510/search"


class ClientConnectorError(OSError):
    """The name and words of aiohttp's connection error (a stand-in of it)."""


def _post(query):
    url = urllib.parse.urlsplit(URL)
    req = urllib.request.Request(URL.replace("//localhost:", "//127.0.0.1:"), method="POST",
                                 data=urllib.parse.urlencode({"q": query, "format": "json"})
                                 .encode(),
                                 headers={"Content-Type": "application/x-www-form-urlencoded"})
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return json.loads(r.read())
    except urllib.error.URLError as e:
        if isinstance(e.reason, ConnectionRefusedError):
            raise ClientConnectorError(
                "Cannot connect to host %s:%d ssl:default [Connect call failed ('127.0.0.1', %d)]"
                % (url.hostname, url.port, url.port)) from None
        raise


async def _search(query):
    return await asyncio.to_thread(_post, query)
