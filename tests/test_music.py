"""ABC parsing and synthesis, on hand-made snippets and on every tune of the corpus."""

import io
import wave
from fractions import Fraction

import numpy as np
import pytest

from labtools import music
from labtools.mit import extract_song_snippet, load_training_data

HEAD = "X:1\nT:Test\nM:4/4\nL:1/8\nK:{key}\n"


def tune(body, key="C"):
    return music.parse_tune(HEAD.format(key=key) + body)


def lengths(t):
    return [n.length for n in t.notes]


def test_lengths_rests_broken_rhythm_and_tuplets():
    t = tune("A2 B/ c3/2 z d>e f<g (3abc")
    e = Fraction(1, 8)
    assert lengths(t) == [2 * e, e / 2, 3 * e / 2, e, 3 * e / 2, e / 2, e / 2, 3 * e / 2] + [e * 2 / 3] * 3
    assert t.notes[3].pitches == ()  # the rest


def test_keys_accidentals_and_octaves():
    assert music.key_signature("D Major") == {"F": 1, "C": 1}
    assert music.key_signature("A Dorian") == {"F": 1}
    assert music.key_signature("E Minor") == {"F": 1}
    assert music.key_signature("F") == {"B": -1}
    t = tune("F ^G G | G =F c C, c'", key="D Major")
    assert [n.pitches[0] for n in t.notes] == [66, 68, 68, 67, 65, 73, 49, 85]


def test_repeats_endings_ties_and_chords():
    t = tune("|: A B :| c-c [ceg]2 |1 d :|2 e |]")
    pitches = [n.pitches for n in t.notes]
    assert pitches[:4] == [(69,), (71,), (69,), (71,)]
    assert pitches[4] == (72,) and t.notes[4].length == Fraction(1, 4)  # tied
    assert pitches[5] == (72, 76, 79)
    # |1 d, then :| goes back to just after the previous :| (c-c [ceg]), then the second ending e
    assert [p[0] for p in pitches[6:]] == [74, 72, 72, 76]


def test_invalid_tunes_say_why():
    assert "missing header" in music.check_tune("X:1\nT:x\nK:C\nABC").reason
    assert "no notes" in music.check_tune(HEAD.format(key="C") + "| |").reason
    assert "unexpected" in music.check_tune(HEAD.format(key="C") + "AB@C").reason
    assert "unknown key" in music.check_tune(HEAD.format(key="H Major") + "ABC").reason


@pytest.fixture(scope="module")
def corpus():
    return load_training_data()


def test_corpus_every_tune_parses_or_has_a_reason(corpus):
    assert len(corpus) == 804
    reports = [music.check_tune(t) for t in corpus]
    invalid = [(r.title, r.reason) for r in reports if not r.valid]
    # two tunes of the corpus have a header and no body at all
    assert invalid == [("Father Dollard's", "the tune has no notes"), ("Providence", "the tune has no notes")]


def test_corpus_bars_match_the_metre(corpus):
    matching = total = 0
    for r in map(music.check_tune, corpus):
        if r.valid and "M:" not in r.text.split("K:", 1)[1]:  # no metre change mid-tune
            bar = music.meter_length(r.tune.headers["M"])
            inner = r.tune.bars[1:-1]  # the first and last bars may be pickups
            matching += sum(b == bar for b in inner)
            total += len(inner)
    assert total > 10000 and matching / total > 0.85


def test_known_tune_duration_and_notes(corpus):
    t = music.parse_tune(corpus[0])  # Alexander's: two 8-bar parts in 2/2, each played twice
    assert t.title == "Alexander's"
    assert sum(lengths(t)) == 32  # whole notes: 32 bars of 2/2
    assert t.seconds(quarter_bpm=120) == pytest.approx(64.0)
    assert len(t.notes) == 262


def test_synthesis_and_wav(corpus):
    samples = music.synthesise(corpus[0])
    assert samples.dtype == np.float32 and np.abs(samples).max() <= 0.81
    assert len(samples) == pytest.approx(64.0 * music.SAMPLE_RATE, rel=1e-3)
    with wave.open(io.BytesIO(music.to_wav_bytes(samples))) as w:
        assert w.getframerate() == music.SAMPLE_RATE and w.getnframes() == len(samples)
    # the loudest frequency of a lone A4 is 440 Hz
    a4 = music.synthesise(HEAD.format(key="C") + "A8")
    spectrum = np.abs(np.fft.rfft(a4))
    assert np.fft.rfftfreq(len(a4), 1 / music.SAMPLE_RATE)[spectrum.argmax()] == pytest.approx(440, abs=2)


def test_split_generated_text_keeps_complete_tunes_only():
    text = "junk\nX:1\nT:a\nM:C\nL:1/8\nK:C\nABc|\n\nX:2\nT:b\nM:C\nL:1/8\nK:C\nde"
    assert [s.splitlines()[1] for s in extract_song_snippet(text)] == ["T:a"]
    assert len(music.split_tunes(text, complete_only=False)) == 2


def test_a_player_stays_small(corpus):
    """A saved notebook keeps its players' audio: 8-bit 8 kHz WAV, the first 20 s of a tune."""
    wav = music.audio(corpus[0]).data  # a 64 s tune
    with wave.open(io.BytesIO(wav)) as w:
        assert w.getsampwidth() == 1 and w.getnframes() == int(music.PLAYER_SECONDS * music.SAMPLE_RATE)
    assert len(wav) < 170_000
    whole = music.audio(corpus[0], seconds=None).data
    assert len(whole) > 64 * music.SAMPLE_RATE


def test_a_player_says_how_much_it_plays(corpus):
    """Beside the player: the seconds it plays, the tune's length, and that it was cut."""
    cut = music.audio(corpus[0])  # a 64 s tune
    with wave.open(io.BytesIO(cut.data)) as w:
        assert cut.played == w.getnframes() / w.getframerate() == music.PLAYER_SECONDS
    assert cut.length == music.parse_tune(corpus[0]).seconds() == 64
    assert "first 20 s of 64 s (cut short" in cut._repr_html_() and "<audio" in cut._repr_html_()
    short = music.audio(HEAD.format(key="C") + "A8")  # 2 s
    assert short.caption == "all 2 s" and short.played == short.length == 2
    assert "all 64 s" in music.audio(corpus[0], seconds=None)._repr_html_()
