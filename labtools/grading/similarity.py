"""Similar submissions: pairs of students whose answer cells are far more alike than the lab explains.

Each answer cell is read as Python tokens (:mod:`tokenize`): comments and blank lines dropped,
each name a student chose (a variable, a function, an argument) written ``V``, each number ``N``
and each string ``S``; keywords, builtins, operators and attribute names (``tf.add``,
``.assign_add``: the API an answer calls) are kept. So renaming variables, changing constants,
comments and layout changes nothing. Every ``K`` consecutive tokens (a k-gram) are hashed, and
winnowing (Schleimer, Wilkerson and Aiken, SIGMOD 2003) keeps the smallest hash of every window of
``W`` consecutive hashes: any run of ``K + W - 1`` tokens two answers share gives them at least one
common fingerprint, and a few edits cannot hide a copy.

What the lab explains is removed before comparing: every k-gram of the template's code (the
answer cells as handed out, the lab's own cells) and of the model solution's answers, and each
fingerprint more than :func:`common_limit` students share (the usual way to write an answer). Two
students' similarity is the share of the smaller fingerprint set that the other holds too
(containment); a pair is listed when it is at least the threshold and they share at least
``MIN_SHARED`` fingerprints, so one short line in common is never a match. It never changes a grade.
"""

from __future__ import annotations

import builtins
import hashlib
import io
import keyword
import tokenize
from collections.abc import Iterable
from dataclasses import dataclass, field

K = 5  # tokens per k-gram
W = 4  # hashes per winnowing window: any K + W - 1 = 8 tokens in common give a common fingerprint
MIN_SHARED = 8  # a pair shares at least this many fingerprints to be listed
DEFAULT_THRESHOLD = 0.8
_KEPT_NAMES = frozenset(dir(builtins)) | {"self", "cls"}
_SKIPPED = {tokenize.COMMENT, tokenize.NL, tokenize.INDENT, tokenize.DEDENT, tokenize.ENCODING, tokenize.ENDMARKER}
_FSTRING = {getattr(tokenize, n) for n in ("FSTRING_START", "FSTRING_MIDDLE", "FSTRING_END") if hasattr(tokenize, n)}


@dataclass(frozen=True)
class Token:
    text: str  # normalised
    line: int  # 1-based, in its cell


def _raw_tokens(source: str) -> Iterable[tokenize.TokenInfo]:
    """The tokens of ``source``; a line that cannot be read as Python (an IPython ``%magic`` or
    ``!command``, a syntax error) is skipped and reading goes on after it."""
    lines = source.splitlines(keepends=True)
    start = 0
    while start < len(lines):
        text = "".join(lines[start:])
        last = start
        try:
            for tok in tokenize.generate_tokens(io.StringIO(text).readline):
                last = start + tok.start[0] - 1
                yield tok._replace(start=(last + 1, tok.start[1]))
            return
        except (tokenize.TokenError, IndentationError, SyntaxError):
            start = last + 1


def tokens(source: str) -> list[Token]:
    """``source`` as normalised tokens (see the module's docstring)."""
    out: list[Token] = []
    previous = ""
    for tok in _raw_tokens(source):
        if tok.type in _SKIPPED or tok.type == tokenize.ERRORTOKEN and not tok.string.strip():
            continue
        if tok.type == tokenize.NAME:
            kept = keyword.iskeyword(tok.string) or tok.string in _KEPT_NAMES or previous == "."
            text = tok.string if kept else "V"
        elif tok.type == tokenize.NUMBER:
            text = "N"
        elif tok.type == tokenize.STRING or tok.type in _FSTRING:
            if tok.type in _FSTRING and tok.type != getattr(tokenize, "FSTRING_START", -1):
                continue  # one S for the whole f-string; its expressions are tokens of their own
            text = "S"
        elif tok.type == tokenize.NEWLINE:
            text = ";"
        else:
            text = tok.string
        out.append(Token(text, tok.start[0]))
        previous = tok.string
    return out


def _hash(gram: list[Token]) -> int:
    digest = hashlib.blake2b(" ".join(t.text for t in gram).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big")


@dataclass(frozen=True)
class Gram:
    hash: int
    first: int  # its first and last line in the cell
    last: int


def kgrams(source: str) -> list[Gram]:
    toks = tokens(source)
    return [Gram(_hash(toks[i : i + K]), toks[i].line, toks[i + K - 1].line) for i in range(len(toks) - K + 1)]


def winnow(grams: list[Gram]) -> list[Gram]:
    """The fingerprints: in every window of ``W`` consecutive k-grams, the smallest hash (the
    rightmost of equal ones), each position once."""
    if not grams:
        return []
    if len(grams) <= W:
        return [min(reversed(grams), key=lambda g: g.hash)]
    chosen: list[Gram] = []
    last = -1
    for start in range(len(grams) - W + 1):
        window = range(start, start + W)
        pick = min(reversed(window), key=lambda i: grams[i].hash)
        if pick != last:
            chosen.append(grams[pick])
            last = pick
    return chosen


@dataclass
class Prints:
    """A student's fingerprints: each hash with the cells and lines it is found at."""

    where: dict[int, list[tuple[str, int, int]]] = field(default_factory=dict)

    @property
    def hashes(self) -> set[int]:
        return set(self.where)


def fingerprints(cells: dict[str, str], explained: set[int]) -> Prints:
    """The fingerprints of a student's answer cells (cell id -> source), without those the lab
    explains (``explained``: hashes of k-grams)."""
    prints = Prints()
    for cell_id, source in cells.items():
        for gram in winnow(kgrams(source)):
            if gram.hash not in explained:
                prints.where.setdefault(gram.hash, []).append((cell_id, gram.first, gram.last))
    return prints


def explained_by(sources: Iterable[str]) -> set[int]:
    """Every k-gram hash of the lab's own code (template cells, the solution's answers)."""
    return {gram.hash for source in sources for gram in kgrams(source)}


def common_limit(n: int) -> int:
    """A fingerprint more than this many of ``n`` students have is the usual way to write it."""
    return max(4, n // 10)


@dataclass
class Pair:
    a: str
    b: str
    similarity: float  # the share of the smaller fingerprint set found in the other
    jaccard: float
    shared: set[int]


def similar_pairs(
    prints: dict[str, Prints], threshold: float = DEFAULT_THRESHOLD, min_shared: int = MIN_SHARED
) -> list[Pair]:
    """The pairs of students at least ``threshold`` alike, most alike first."""
    holders: dict[int, list[str]] = {}
    for sid, p in prints.items():
        for h in p.where:
            holders.setdefault(h, []).append(sid)
    limit = common_limit(len(prints))
    common = {h for h, ids in holders.items() if len(ids) > limit}
    sets = {sid: p.hashes - common for sid, p in prints.items()}
    counts: dict[tuple[str, str], int] = {}
    for h, ids in holders.items():
        if h in common:
            continue
        for i, a in enumerate(ids):
            for b in ids[i + 1 :]:
                counts[(a, b)] = counts.get((a, b), 0) + 1
    pairs = []
    for (a, b), n in counts.items():
        smaller = min(len(sets[a]), len(sets[b]))
        if n < min_shared or not smaller:
            continue
        similarity = n / smaller
        if similarity >= threshold:
            shared = sets[a] & sets[b]
            pairs.append(Pair(a, b, round(similarity, 3), round(n / len(sets[a] | sets[b]), 3), shared))
    return sorted(pairs, key=lambda p: (-p.similarity, -len(p.shared), p.a, p.b))


def shared_lines(prints: Prints, shared: set[int]) -> dict[str, set[int]]:
    """For each cell, the lines that hold a shared fingerprint (to mark in the side-by-side view)."""
    lines: dict[str, set[int]] = {}
    for h in shared:
        for cell_id, first, last in prints.where.get(h, []):
            lines.setdefault(cell_id, set()).update(range(first, last + 1))
    return lines
