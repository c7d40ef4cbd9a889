"""A small seeded random source of our own (SplitMix64).

Python's random module is deterministic for a given seed too, but its
methods have changed between versions; this keeps the corpus byte-identical
on any Python 3, which the tests' pinned expectations rely on."""

import hashlib

_MASK = (1 << 64) - 1


class Rng:
    def __init__(self, seed):
        self.state = seed & _MASK

    def next64(self):
        self.state = (self.state + 0x9E3779B97F4A7C15) & _MASK
        z = self.state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _MASK
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _MASK
        return z ^ (z >> 31)

    def below(self, n):
        """An int in [0, n): the modulo bias is irrelevant for test data."""
        return self.next64() % n

    def between(self, lo, hi):
        """An int in [lo, hi]."""
        return lo + self.below(hi - lo + 1)

    def chance(self, percent):
        return self.below(100) < percent

    def choice(self, seq):
        return seq[self.below(len(seq))]

    def sample(self, seq, k):
        pool = list(seq)
        out = []
        for _ in range(min(k, len(pool))):
            out.append(pool.pop(self.below(len(pool))))
        return out

    def fork(self, label):
        """An independent stream for one part of the corpus, so that adding
        mail to one folder does not change every other folder's mail."""
        digest = hashlib.sha256(("%d:%s" % (self.state, label)).encode()).digest()
        return Rng(int.from_bytes(digest[:8], "big"))


def pseudo_bytes(label, size):
    """size bytes that look random (attachments), fast: SHA-256 in counter mode."""
    out = bytearray()
    counter = 0
    seed = label.encode()
    while len(out) < size:
        out += hashlib.sha256(seed + counter.to_bytes(8, "big")).digest()
        counter += 1
    return bytes(out[:size])
