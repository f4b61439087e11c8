"""``mitdeeplearning.util``'s names that MIT 6.S191 Lab 1 uses, on labtools:
``from labtools.util import PeriodicPlotter, LossHistory`` (see :mod:`labtools.mit`)."""

from .mit import LossHistory, PeriodicPlotter

__all__ = ["LossHistory", "PeriodicPlotter"]
