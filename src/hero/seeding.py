"""One seed-derivation rule for the whole toolkit: key parts → SHA-256 → a 63- or 64-bit integer.

Every random draw that must not depend on batch order, batch size, worker count or resume (image degradation,
answer sampling, generation, DPO sampling) is seeded by `derive_seed(*parts)`: the parts are joined as
"part0|part1|..." (each through `str`), hashed with SHA-256, and the first 8 digest bytes read little-endian.
The call sites keep their historical key layouts (and hence their exact seeds):

* hero.degrade:           derive_seed(int(seed), image_id, op, repr(float(level)), bits=64)
* hero.scoring.engine:    derive_seed(seed, key)                      (batch of ids or one id)
* hero.evaluation:        derive_seed(int(seed), stream, image, prompt)
* hero.rl.dpo:            derive_seed(seed, "dpo", key)
"""

from __future__ import annotations

import hashlib


def derive_seed(*parts: object, bits: int = 63) -> int:
    """int.from_bytes(sha256("|".join(map(str, parts)))[:8], "little") masked to `bits` (63: fits torch's int64
    generator seeds; 64: numpy). Example: derive_seed(0, "a") hashes b"0|a". Stable across processes."""
    if bits not in (63, 64):
        raise ValueError(f"bits={bits}: use 63 (torch generators) or 64 (numpy)")
    key = "|".join(str(p) for p in parts).encode()
    value = int.from_bytes(hashlib.sha256(key).digest()[:8], "little")
    return value & (2**63 - 1) if bits == 63 else value
