"""Security headers on every response, UI and API (issue 14, item 11).

A pure ASGI middleware, so streamed files and the body guard's early refusals get them too.
The UI's policy allows only its own origin for scripts (no inline script, no eval), styles
(inline style attributes allowed: the charts set them), images (plus data:/blob: for canvas
exports) and fetches; nothing may frame it. API responses are data, never documents, so their
policy allows nothing at all: a JSON body or an image opened directly cannot run a script.
FastAPI's /docs and /redoc pages load Swagger UI and ReDoc from a CDN with an inline script,
so they keep the other headers but no CSP.
"""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

UI_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data: blob:; connect-src 'self'; font-src 'self'; object-src 'none'; "
    "base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)
API_CSP = "default-src 'none'; frame-ancestors 'none'; sandbox"
COMMON = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
}
DOC_PAGES = ("/docs", "/redoc")


def headers_for(path: str) -> dict[str, str]:
    if path.startswith("/api/"):
        return {**COMMON, "Content-Security-Policy": API_CSP}
    if path.startswith(DOC_PAGES):
        return dict(COMMON)
    return {**COMMON, "Content-Security-Policy": UI_CSP}


class SecurityHeaders:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        extra = headers_for(scope.get("path", ""))

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in extra.items():
                    if name not in headers:
                        headers[name] = value
            await send(message)

        await self.app(scope, receive, send_with_headers)
