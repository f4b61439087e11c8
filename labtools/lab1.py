"""``mitdeeplearning.lab1``'s names on labtools: ``import labtools.lab1`` or
``from labtools.lab1 import load_training_data`` works as MIT's code expects (see :mod:`labtools.mit`)."""

from .mit import (
    extract_song_snippet,
    load_training_data,
    play_generated_song,
    play_song,
    save_song_to_abc,
    test_batch_func_next_step,
    test_batch_func_shapes,
    test_batch_func_types,
    test_custom_dense_layer_output,
)

__all__ = [
    "extract_song_snippet",
    "load_training_data",
    "play_generated_song",
    "play_song",
    "save_song_to_abc",
    "test_batch_func_next_step",
    "test_batch_func_shapes",
    "test_batch_func_types",
    "test_custom_dense_layer_output",
]
