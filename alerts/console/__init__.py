"""The duty console: a web page served by the dispatch service (aiohttp, SSE, plain HTML/JS)."""
