"""What the access log may keep of text a user typed: client ids and pseudonyms become opaque
references (or `[client]`), identity codes are masked. The log proves who looked at what
(Client Data Act 703/2023) without becoming a second copy of whom."""

import re
from typing import Protocol

from schemas.hetu import mask_codes

PSEUDONYM = re.compile(r"p:[0-9a-fA-F]{16}")
# Words that may be a client id: source systems' ids are letters, digits and - _ : .
WORD = re.compile(r"[\w:.\-]{3,64}")
MAX_LOOKUPS = 500


class KnownIds(Protocol):
    async def known_ids(self, candidates: list[str]) -> dict[str, str]: ...


async def hide_clients(refs: KnownIds, text: str) -> str:
    # every code-shaped string, glued to other text or not, in any case (mask_codes)
    text = mask_codes(text)
    words = sorted({w for w in WORD.findall(text)})[:MAX_LOOKUPS]
    known = await refs.known_ids(words) if words else {}

    def swap(m: re.Match[str]) -> str:
        word = m.group(0)
        if word in known:
            return f"ref:{known[word]}"
        return PSEUDONYM.sub("[client]", word)

    return WORD.sub(swap, text)
