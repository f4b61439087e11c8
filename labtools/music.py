"""ABC notation: parse tunes, say whether a generated tune is valid, and play it without any
system program (a small NumPy synthesiser renders audio for ``IPython.display.Audio``).

Covered, as far as the Irish corpus of the lab uses them: header fields (X T M L K, inline and
mid-tune K:/M:/L:), keys with modes, accidentals that last to the end of the bar, note lengths
(``2``, ``3/2``, ``/``, ``//``), broken rhythm (``>`` ``<``), triplets and other ``(n``
tuplets, ties, chords ``[ceg]``, rests, repeats ``|: :| ::`` with first and second endings.
Chord symbols and decorations are skipped.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from fractions import Fraction

import numpy as np

SAMPLE_RATE = 8000  # telephone quality: enough for these melodies, and keeps notebook outputs small
PLAYER_SECONDS = 20.0  # a player embeds at most this much of a tune: a saved notebook keeps its audio
REQUIRED_HEADERS = ("X", "T", "M", "L", "K")

# -- keys -------------------------------------------------------------------------------------

_SHARPS_ORDER, _FLATS_ORDER = "FCGDAEB", "BEADGCF"
_MAJOR_SHARPS = {
    "C": 0,
    "G": 1,
    "D": 2,
    "A": 3,
    "E": 4,
    "B": 5,
    "F#": 6,
    "C#": 7,
    "F": -1,
    "Bb": -2,
    "Eb": -3,
    "Ab": -4,
    "Db": -5,
    "Gb": -6,
    "Cb": -7,
}
_MODE_SHIFT = {"maj": 0, "ion": 0, "mix": -1, "dor": -2, "min": -3, "m": -3, "aeo": -3, "phr": -4, "loc": -5, "lyd": 1}
_SEMITONE = {"C": 0, "D": 2, "E": 4, "F": 5, "G": 7, "A": 9, "B": 11}


class AbcError(ValueError):
    """A tune that cannot be parsed; the message says where and why."""


def key_signature(key: str) -> dict[str, int]:
    """Sharps (+1) and flats (-1) per note letter for a K: field such as 'D Major' or 'Ador'."""
    if key.strip().lower() in ("", "none"):
        return {}
    m = re.match(r"\s*([A-Ga-g])([#b]?)\s*([A-Za-z]*)", key)
    if not m:
        raise AbcError(f"unknown key {key.strip()!r}")
    tonic = m[1].upper() + m[2]
    mode = m[3].lower()[:3] if m[3] else "maj"
    if mode.startswith("m") and mode not in ("maj", "mix"):
        mode = "min"
    if tonic not in _MAJOR_SHARPS or mode not in _MODE_SHIFT:
        raise AbcError(f"unknown key {key.strip()!r}")
    n = _MAJOR_SHARPS[tonic] + _MODE_SHIFT[mode]
    if n >= 0:
        return {letter: 1 for letter in _SHARPS_ORDER[:n]}
    return {letter: -1 for letter in _FLATS_ORDER[:-n]}


def _fraction(text: str, default: Fraction) -> Fraction:
    try:
        return Fraction(text.strip().split()[0])
    except (ValueError, ZeroDivisionError, IndexError):
        return default


def meter_length(meter: str) -> Fraction | None:
    """Length of one bar in whole notes ('C' and 'C|' are 4/4 and 2/2)."""
    meter = meter.strip()
    if meter in ("C", ""):
        return Fraction(1)
    if meter == "C|":
        return Fraction(1)
    try:
        return Fraction(meter)
    except (ValueError, ZeroDivisionError):
        return None


# -- parsing --------------------------------------------------------------------------------


@dataclass
class Note:
    pitches: tuple[int, ...]  # MIDI numbers; empty for a rest
    length: Fraction  # in whole notes


@dataclass
class Tune:
    headers: dict[str, str]
    notes: list[Note]  # in playing order, repeats expanded
    bars: list[Fraction] = field(default_factory=list)  # length of each written bar

    @property
    def title(self) -> str:
        return self.headers.get("T", "untitled")

    def seconds(self, quarter_bpm: float = 120.0) -> float:
        return float(sum(n.length for n in self.notes)) * 4 * 60.0 / quarter_bpm


_HEADER = re.compile(r"^([A-Za-z]):(.*)$")
_NOTE = re.compile(r"(\^\^|\^|__|_|=)?([A-Ga-gzxZ])([,']*)(\d*)(/*)(\d*)")
_BAR = re.compile(r"(:*)(\|\]|\|\||\[\||\||::)(:*)(\[?\d+)?|(:+)(\[?\d+)?|\[(\d+)")


def split_tune(text: str) -> tuple[dict[str, str], str]:
    """Header fields (up to and including K:) and the body text."""
    headers: dict[str, str] = {}
    lines = text.strip("\n").splitlines()
    body_from = len(lines)
    for i, line in enumerate(lines):
        m = _HEADER.match(line.strip())
        if not m or (m[1] == "|"):
            body_from = i
            break
        headers.setdefault(m[1], m[2].strip())
        if m[1] == "K":
            body_from = i + 1
            break
    return headers, "\n".join(lines[body_from:])


def parse_tune(text: str) -> Tune:
    """Parse one tune; raises :class:`AbcError` with a one-line reason."""
    headers, body = split_tune(text)
    missing = [h for h in REQUIRED_HEADERS if h not in headers]
    if missing:
        raise AbcError(f"missing header field(s) {', '.join(m + ':' for m in missing)}")
    unit = _fraction(headers["L"], Fraction(1, 8))
    if unit <= 0:
        raise AbcError(f"bad note length L:{headers['L']}")
    state = _Parser(unit, key_signature(headers["K"]))
    state.run(body)
    if not any(n.pitches for n in state.notes):
        raise AbcError("the tune has no notes")
    return Tune(headers, state.expanded(), state.bar_lengths)


class _Parser:
    def __init__(self, unit: Fraction, key: dict[str, int]):
        self.unit, self.key = unit, key
        self.bar_accidentals: dict[tuple[str, int], int] = {}
        self.events: list = []  # Note objects and ("repeat", kind, ending) markers
        self.tuplet: list = []  # [remaining notes, factor]
        self.broken: Fraction | None = None
        self.tie = False
        self.bar_lengths: list[Fraction] = []
        self._bar = Fraction(0)

    @property
    def notes(self) -> list[Note]:
        return [e for e in self.events if isinstance(e, Note)]

    # one token at a time
    def run(self, body: str) -> None:
        i = 0
        while i < len(body):
            i = self._token(body, i)
        if self._bar > 0:  # the last bar, when the tune does not end with a bar line
            self.bar_lengths.append(self._bar)
            self._bar = Fraction(0)

    def _token(self, body: str, i: int) -> int:
        """Read the token at ``i`` with the handler its first character selects (``_TOKENS``);
        return where the next one starts."""
        ch = body[i]
        for chars, handler in _TOKENS:
            if ch in chars:
                return handler(self, body, i)
        if ch.isalpha() or ch in "^_=":
            return self._letter(body, i)
        raise AbcError(f"unexpected {ch!r} at character {i}")

    def _skip(self, body: str, i: int) -> int:  # spaces, decorations, the end of a slur
        return i + 1

    def _chord_symbol(self, body: str, i: int) -> int:  # "Am": a guitar chord name, not played
        end = body.find('"', i + 1)
        if end < 0:
            raise AbcError(f"unclosed chord symbol at character {i}")
        return end + 1

    def _comment(self, body: str, i: int) -> int:  # % to the end of the line
        end = body.find("\n", i)
        return len(body) if end < 0 else end

    def _tie_mark(self, body: str, i: int) -> int:
        self.tie = True
        return i + 1

    def _broken_rhythm(self, body: str, i: int) -> int:  # > or <, repeated
        ch, j = body[i], i
        while j < len(body) and body[j] == ch:
            j += 1
        self._broken(ch, j - i)
        return j

    def _grace_notes(self, body: str, i: int) -> int:  # {...}: grace notes take no time
        end = body.find("}", i)
        return len(body) if end < 0 else end + 1

    def _tuplet_or_slur(self, body: str, i: int) -> int:
        """``(3`` or ``(p:q:r`` starts a tuplet; any other ``(`` opens a slur."""
        m = re.match(r"\((\d)(?::(\d)?)?(?::(\d)?)?", body[i:])
        if not m:
            return i + 1  # a slur
        p = int(m[1])
        q = int(m[2]) if m[2] else {2: 3, 3: 2, 4: 3, 6: 2}.get(p, 2)
        r = int(m[3]) if m[3] else p
        self.tuplet = [r, Fraction(q, p)]
        return i + m.end()

    def _bracket_or_bar(self, body: str, i: int) -> int:
        """An inline field ``[K:D]``, a chord ``[ceg]`` or a bar line (``|``, ``:|``, ``[1`` ...)."""
        ch, n = body[i], len(body)
        if ch == "[" and re.match(r"\[[A-Za-z]:", body[i:]):
            end = body.find("]", i)
            if end < 0:
                raise AbcError(f"unclosed inline field at character {i}")
            self._field(body[i + 1 : end])
            return end + 1
        if ch == "[" and i + 1 < n and body[i + 1] not in "|0123456789":
            return self._chord(body, i)
        m = _BAR.match(body, i)
        if m:
            self._barline(m)
            return m.end()
        raise AbcError(f"unexpected {ch!r} at character {i}")

    def _letter(self, body: str, i: int) -> int:
        """A field line (``K:G``), a decoration letter or a note with its accidentals."""
        ch, n = body[i], len(body)
        if ch.isalpha() and ch.isupper() and ch not in "ABCDEFGZ" and i + 1 < n and body[i + 1] == ":":
            end = body.find("\n", i)
            end = n if end < 0 else end
            self._field(body[i:end])
            return end
        if ch in "HIJLMNOPQRSTUVWY" or ch in "hijklmnopqrstuvwy":
            return i + 1  # decoration shortcuts (e.g. T for a trill) and stray letters
        if ch in "^_=ABCDEFGabcdefgzxZ":
            m = _NOTE.match(body, i)
            if not m:
                raise AbcError(f"cannot read a note at character {i}: {body[i : i + 8]!r}")
            self._note([m], m)
            return m.end()
        raise AbcError(f"unexpected {ch!r} at character {i}")

    def _field(self, text: str) -> None:
        name, _, value = text.partition(":")
        if name == "K":
            self.key = key_signature(value)
        elif name == "L":
            self.unit = _fraction(value, self.unit)

    def _broken(self, ch: str, count: int) -> None:
        prev = next((e for e in reversed(self.events) if isinstance(e, Note)), None)
        if prev is None:
            return
        long, short = Fraction(2 ** (count + 1) - 1, 2**count), Fraction(1, 2**count)
        first, second = (long, short) if ch == ">" else (short, long)
        self._bar += prev.length * (first - 1)
        prev.length *= first
        self.broken = second

    def _pitch(self, m) -> int | None:
        acc, letter, octave = m[1], m[2], m[3]
        if letter in "zxZ":
            return None
        octave_shift = (1 if letter.islower() else 0) + octave.count("'") - octave.count(",")
        upper = letter.upper()
        key = (upper, octave_shift)
        if acc:
            self.bar_accidentals[key] = {"^": 1, "^^": 2, "_": -1, "__": -2, "=": 0}[acc]
        shift = self.bar_accidentals.get(key, self.key.get(upper, 0))
        return 60 + 12 * octave_shift + _SEMITONE[upper] + shift

    def _length(self, m) -> Fraction:
        return self._length_of(m[4], m[5], m[6])

    def _length_of(self, num_text: str, slashes: str, den: str) -> Fraction:
        num = int(num_text) if num_text else 1
        if slashes:
            d = int(den) if den else 2 ** len(slashes)
            return self.unit * Fraction(num, d)
        if den:
            raise AbcError(f"bad note length {num_text}{den}")
        return self.unit * num

    def _note(self, matches, first, chord_length=None) -> None:
        pitches = tuple(p for p in (self._pitch(m) for m in matches) if p is not None)
        length = self._length(first)
        if chord_length is not None and chord_length.group(0):
            length *= self._length_of(*chord_length.groups()) / self.unit
        if first[2] == "Z":  # multi-bar rest: the number counts bars
            length = self.unit * 8 * (int(first[4]) if first[4] else 1)
        if self.tuplet:
            length *= self.tuplet[1]
            self.tuplet[0] -= 1
            if self.tuplet[0] <= 0:
                self.tuplet = []
        if self.broken is not None:
            length *= self.broken
            self.broken = None
        self._bar += length
        prev = self.events[-1] if self.events else None
        if self.tie and isinstance(prev, Note) and prev.pitches == pitches:
            prev.length += length
        else:
            self.events.append(Note(pitches, length))
        self.tie = False

    def _chord(self, body: str, i: int) -> int:
        end = body.find("]", i)
        if end < 0:
            raise AbcError(f"unclosed chord at character {i}")
        inner = body[i + 1 : end]
        matches = list(_NOTE.finditer(inner))
        if not matches or "".join(m.group(0) for m in matches) != re.sub(r"[\s\-]", "", inner):
            raise AbcError(f"cannot read the chord {body[i : end + 1]!r}")
        after = re.match(r"(\d*)(/*)(\d*)", body[end + 1 :])
        assert after is not None  # every part of the pattern is optional: it always matches
        self._note(matches, matches[0], chord_length=after)
        return end + 1 + after.end()

    def _barline(self, m) -> None:
        text = m.group(0)
        if self._bar > 0:
            self.bar_lengths.append(self._bar)
        self._bar = Fraction(0)
        self.bar_accidentals = {}
        ending = re.search(r"(\d+)$", text)
        core = text.rstrip("0123456789").rstrip("[")
        if core.startswith(":"):
            self.events.append(("repeat", "end", None))
        if core.endswith(":") and (len(core) > 1 or not core.startswith(":")) or core == "::":
            self.events.append(("repeat", "start", None))
        if ending:
            self.events.append(("repeat", "ending", int(ending[1])))

    def expanded(self) -> list[Note]:
        """Notes in playing order: each repeated section twice, first endings only the first time."""
        out: list[Note] = []
        section: list[Note] = []  # notes of the current section outside any ending
        ending = 0
        for e in self.events:
            if isinstance(e, Note):
                out.append(e)
                if ending == 0:
                    section.append(e)
            elif e[1] == "start":
                section, ending = [], 0
            elif e[1] == "ending":
                ending = e[2]
            elif e[1] == "end":
                if ending <= 1:
                    out.extend(section)
                if ending == 0:
                    section = []
                elif ending >= 2:
                    section, ending = [], 0
        if self._bar > 0:
            self.bar_lengths.append(self._bar)
            self._bar = Fraction(0)
        return out


# The first character of a token selects its handler; letters and accidentals start a note.
_TOKENS: list[tuple[str, Callable[[_Parser, str, int], int]]] = [
    (" \t\n\r!.~)", _Parser._skip),
    ('"', _Parser._chord_symbol),
    ("%", _Parser._comment),
    ("(", _Parser._tuplet_or_slur),
    ("-", _Parser._tie_mark),
    ("<>", _Parser._broken_rhythm),
    ("|:[", _Parser._bracket_or_bar),
    ("{", _Parser._grace_notes),
]


# -- many tunes ------------------------------------------------------------------------------


def split_tunes(text: str, complete_only: bool = True) -> list[str]:
    """The tunes in a text, each starting at 'X:'.  A tune is complete once a blank line (or
    the next 'X:') follows it; with ``complete_only`` a cut-off last tune is dropped."""
    tunes = []
    starts = [m.start() for m in re.finditer(r"(?m)^X:", text)]
    for k, start in enumerate(starts):
        stop = starts[k + 1] if k + 1 < len(starts) else len(text)
        chunk = text[start:stop]
        blank = re.search(r"\n[ \t]*\n", chunk)
        if blank:
            tunes.append(chunk[: blank.start()].strip())
        elif k + 1 < len(starts) or not complete_only:
            tunes.append(chunk.strip())
    return [t for t in tunes if t]


@dataclass
class TuneReport:
    text: str
    valid: bool
    reason: str = ""
    tune: Tune | None = None

    @property
    def title(self) -> str:
        return self.tune.title if self.tune else split_tune(self.text)[0].get("T", "untitled")


def check_tune(text: str) -> TuneReport:
    """Whether a (generated) tune has the required headers and a body that parses."""
    try:
        return TuneReport(text, True, "", parse_tune(text))
    except AbcError as exc:
        return TuneReport(text, False, str(exc))
    except Exception as exc:  # anything unexpected is still a reason, not a crash
        return TuneReport(text, False, f"could not parse ({type(exc).__name__}: {exc})")


def summarise(reports: list[TuneReport]) -> str:
    valid = sum(r.valid for r in reports)
    return f"{valid} of {len(reports)} generated tunes are valid"


# -- sound -------------------------------------------------------------------------------------


def synthesise(tune: Tune | str, quarter_bpm: float = 120.0, rate: int = SAMPLE_RATE) -> np.ndarray:
    """Render a tune to float32 samples in [-1, 1]: a plucked, slightly bright tone per note."""
    if isinstance(tune, str):
        tune = parse_tune(tune)
    seconds_per_whole = 4 * 60.0 / quarter_bpm
    chunks = []
    for note in tune.notes:
        n = max(1, int(round(float(note.length) * seconds_per_whole * rate)))
        t = np.arange(n) / rate
        wave = np.zeros(n)
        for midi in note.pitches:
            f = 440.0 * 2 ** ((midi - 69) / 12)
            for harmonic, gain in ((1, 1.0), (2, 0.3), (3, 0.1)):
                if harmonic * f < rate / 2:  # above half the sample rate it would alias to a wrong pitch
                    wave += gain * np.sin(2 * np.pi * harmonic * f * t)
        if note.pitches:
            envelope = np.exp(-3.0 * t) * np.minimum(1.0, t * 200) * np.minimum(1.0, (n - np.arange(n)) / 200)
            wave *= envelope / (1.4 * len(note.pitches))
        chunks.append(wave)
    samples = np.concatenate(chunks) if chunks else np.zeros(1)
    return (0.8 * samples / max(1e-9, np.abs(samples).max())).astype(np.float32)


def to_wav_bytes(samples: np.ndarray, rate: int = SAMPLE_RATE, bits: int = 8) -> bytes:
    """Mono WAV file contents, 8-bit (the default: 8 kB per second at 8 kHz) or 16-bit PCM."""
    import io
    import wave

    clipped = np.clip(samples, -1, 1)
    if bits == 8:  # 8-bit WAV is unsigned, silence at 128
        pcm = np.round(clipped * 127 + 128).astype(np.uint8)
    elif bits == 16:
        pcm = (clipped * 32767).astype("<i2")
    else:
        raise ValueError(f"bits must be 8 or 16, not {bits}")
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(bits // 8)
        w.setframerate(rate)
        w.writeframes(pcm.tobytes())
    return buffer.getvalue()


def clip(samples: np.ndarray, seconds: float | None, rate: int = SAMPLE_RATE, fade: float = 1.0) -> np.ndarray:
    """The first ``seconds`` of the samples, faded out over the last ``fade`` seconds (all if None)."""
    n = int(seconds * rate) if seconds is not None else len(samples)
    if n >= len(samples):
        return samples
    out = samples[:n].copy()
    k = min(n, int(fade * rate))
    out[n - k :] *= np.linspace(1.0, 0.0, k, dtype=out.dtype)
    return out


def played_caption(played: float, length: float) -> str:
    """What a player says beside itself: "all 12 s", or "first 20 s of 64 s (cut short ...)"."""
    if round(played) >= round(length):
        return f"all {length:.0f} s"
    return f"first {played:.0f} s of {length:.0f} s (cut short to keep the notebook small)"


@functools.cache
def _player_class() -> type:
    from IPython.display import Audio

    class Player(Audio):
        """An Audio player that says beside itself how long it plays and whether the tune was cut."""

        played: float  # seconds of audio in the player
        length: float  # seconds of the whole tune
        caption: str

        def _repr_html_(self):
            return (
                '<div style="display:flex;align-items:center;gap:10px;flex-wrap:wrap">'
                f'{super()._repr_html_()}<span class="labtools-played">{self.caption}</span></div>'
            )

        def __repr__(self):
            return f"<audio player: {self.caption}>"

    return Player


def audio(tune: Tune | str, quarter_bpm: float = 120.0, seconds: float | None = PLAYER_SECONDS):
    """An ``IPython.display.Audio`` player for a tune (works in JupyterLab, Colab, Binder), with a
    caption beside it that says how much of the tune it plays ("first 20 s of 64 s ...").

    It plays the first ``seconds`` of the tune (``None``: all of it) as 8-bit, 8 kHz WAV, about
    11 kB of notebook per second of music.
    """
    if isinstance(tune, str):
        tune = parse_tune(tune)
    samples = synthesise(tune, quarter_bpm)
    length = tune.seconds(quarter_bpm)  # what the lab's plots and play_generated_song say
    if seconds is not None and seconds < length:
        samples = clip(samples, seconds)
    player = _player_class()(data=to_wav_bytes(samples), rate=SAMPLE_RATE)
    player.played, player.length = min(length, len(samples) / SAMPLE_RATE), length
    player.caption = played_caption(player.played, length)
    return player
