"""`Content-Disposition` for downloads named after user data (project names), RFC 6266.

Headers are Latin-1 on the wire and a CR/LF would end one, so a name like "Łoś", "虎" or
"a\\r\\nb" cannot go in `filename="..."` as is: the exact name travels percent-encoded in
`filename*=UTF-8''...` (RFC 5987; every current browser prefers it), and `filename` carries an
ASCII fallback for older clients.
"""

from __future__ import annotations

import re
from urllib.parse import quote

# Control characters (CR/LF included) and path separators become "_" in both forms: a
# download name is never a path, and a header never carries a line break.
_NEVER = re.compile(r"[\x00-\x1f\x7f/\\]")
# In the quoted ASCII fallback, also what would end or escape the quoted string, or a
# parameter, and anything that is not printable ASCII.
_NOT_PLAIN = re.compile(r'[^\x20-\x7e]|["\\;]')


def attachment(filename: str) -> str:
    """The header value that offers `filename` as a download, whatever characters it holds."""
    name = _NEVER.sub("_", filename) or "download"
    fallback = _NOT_PLAIN.sub("_", name)
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}"
