"""One judge for a hand-written training step (labs 06 and 07), judge side.

A lab's judge redoes the student's ``train_step`` in NumPy: the loss before the update, the
gradients of the batch's mean loss, and the weights after one step of the optimiser the step was
given (:data:`labtools.reference.FIRST_STEPS`). It then hands that to :func:`judge_returned_loss`
and :func:`judge_weights`, which turn every known way a step goes wrong into one hint: a loss of
the wrong size or taken after the update, weights that did not move, moved in part, uphill, by
learning rate x gradient where the optimiser does more, by the gradient of the sum, or at a rate
the optimiser was not given.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from .judging import expect_close
from .kernel.errors import Fail
from .reference import sgd_step

LOSS_RTOL, LOSS_ATOL = 1e-4, 1e-6
WEIGHT_RTOL, WEIGHT_ATOL = 1e-3, 1e-4  # float32 steps against float64


@dataclass(frozen=True)
class StepCase:
    """One call of the student's train_step, as the judge redid it."""

    name: str  # how messages name the case: "the Adam step"
    optimizer: str  # the Keras optimiser's class name: "SGD", "RMSprop", "Adam"
    lr: float
    before: Sequence[np.ndarray]  # the weights handed to the step, float64
    grads: Sequence[np.ndarray]  # the gradients of the batch's mean loss
    weight_names: Sequence[str]  # "the Dense kernel", in the model's order
    count: int  # how many losses the batch's mean loss is the mean of
    after: Callable[[float], list[list[np.ndarray]]]
    """The weights after one step at a learning rate: each way the optimiser may take it (the
    first is the usual one)."""


def same_loss(got: float, want: float) -> bool:
    """Two losses agree (float32 against float64)."""
    return bool(np.isclose(got, want, rtol=LOSS_RTOL, atol=LOSS_ATOL))


def judge_returned_loss(
    returned,
    case: StepCase,
    loss: float,
    losses_after: Sequence[float],
    batch: str,
    diagnose: Callable[[float], None] = lambda got: None,
    advice: str = "compute it before the update",
) -> None:
    """The step returns the batch's mean ``loss`` before the update, one number. ``batch`` says
    what the batch holds ("a batch of 8"); ``diagnose(got)`` may raise the lab's own hint for a
    wrong loss; otherwise the hint says it is wrong, and then ``advice``."""
    returned = np.asarray(returned, dtype="float64")
    if returned.size != 1:
        raise Fail(
            f"train_step returns {returned.size} values for {batch}; return the mean loss of the batch, one number"
        )
    got = float(returned.ravel()[0])
    if same_loss(got, loss):
        return
    if any(same_loss(got, after) for after in losses_after):
        raise Fail("train_step returns the loss after the update; return the loss computed before it")
    diagnose(got)
    raise Fail(f"the returned loss is not the mean loss of the batch before the update ({case.name}); {advice}")


def _moved_like(moved, candidates) -> bool:
    """The weights after the step are one of the candidate lists of weights."""
    return any(
        all(np.allclose(got, want, rtol=WEIGHT_RTOL, atol=WEIGHT_ATOL) for got, want in zip(moved, wanted, strict=True))
        for wanted in candidates
    )


def _rate_moved(moved, before, grads) -> float | None:
    """The rate r when the weights moved exactly by -r x gradient, else None."""
    step = np.concatenate([(then - now).ravel() for now, then in zip(moved, before, strict=True)])
    g = np.concatenate([grad.ravel() for grad in grads])
    rate = float(step @ g / max(float(g @ g), 1e-12))
    return rate if np.allclose(step, rate * g, rtol=1e-3, atol=1e-5) else None


def judge_weights(weights, case: StepCase) -> None:
    """The weights after the student's step are the optimiser's one step from ``case.before``."""
    moved = [np.asarray(weight, dtype="float64") for weight in weights]
    before, lr, name = case.before, case.lr, case.name
    if len(moved) != len(before) or any(now.shape != then.shape for now, then in zip(moved, before, strict=True)):
        raise Fail("the model's weights changed shape; update them with the optimizer")
    if all(np.allclose(now, then) for now, then in zip(moved, before, strict=True)):
        raise Fail(f"the weights did not change ({name}); apply the gradients with the optimizer")
    expected = case.after(lr)
    for now, then, want, what in zip(moved, before, expected[0], case.weight_names, strict=True):
        if np.allclose(now, then) and not np.allclose(want, then):
            raise Fail(
                f"only some of the weights changed: {what} did not ({name}); take the gradients of all "
                "model.trainable_variables and apply them all"
            )
    if _moved_like(moved, case.after(-lr)):
        raise Fail("the weights moved uphill; the optimizer subtracts the gradient for you")
    by_hand = [sgd_step(weight, grad, lr) for weight, grad in zip(before, case.grads, strict=True)]
    if case.optimizer != "SGD" and _moved_like(moved, [by_hand]):
        raise Fail(
            "the weights moved by learning rate x gradient, not as the optimizer moves them; "
            "let optimizer.apply_gradients do the update"
        )
    rate = _rate_moved(moved, before, case.grads) if case.optimizer == "SGD" else None
    if rate is not None and abs(rate - lr * case.count) < 0.01 * lr * case.count:
        raise Fail(
            f"the weights after one step moved {case.count} times too far ({name}), as by the gradient of the sum "
            f"of {case.count} losses; take the gradient of their mean"
        )
    if rate is not None and rate > 0 and abs(rate - lr) > 0.05 * lr:
        raise Fail(
            f"the weights after one step moved against the gradient, but not by the optimizer's step ({name}); "
            "use the optimizer passed to train_step"
        )
    for i, (now, what) in enumerate(zip(moved, case.weight_names, strict=True)):
        if not any(np.allclose(now, after[i], rtol=WEIGHT_RTOL, atol=WEIGHT_ATOL) for after in expected):
            expect_close(f"{what} after one step ({name})", now, expected[0][i], rtol=WEIGHT_RTOL, atol=WEIGHT_ATOL)
