"""The kernel side of every check: what runs where the student's answer lives.

Everything in this package runs inside the student's kernel, or inside a grading kernel in the
sandbox: hand a question's inputs to the notebook, call the student's code on them, turn what it
returned into plain data (numbers, strings, lists, NumPy arrays), and encode that for the grader.

Nothing here knows a right answer. Judges, reference computations, expected values and the
drawing of inputs are the judge side (:mod:`labtools.checking`, :mod:`labtools.judging`,
:mod:`labtools.labs`); the grading sandbox does not carry them, so code in a grading kernel can
publish a result only by doing the exercise.

Rule, enforced by ``tests/test_sides.py``: modules here import only each other, the standard
library, NumPy, TensorFlow and Keras.
"""
