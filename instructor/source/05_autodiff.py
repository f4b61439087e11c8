# %% [markdown]
# # Lab 05 · Automatic differentiation
# <!-- badges -->
#
# Training a network means nudging its weights downhill on a loss. To know which way is
# downhill you need gradients, and TensorFlow computes them for you: it records the operations
# you run on a **tape** and then plays the tape backwards (reverse-mode automatic
# differentiation, or *backpropagation*).
#
# ## What you'll learn
# - `tf.GradientTape`: recording a computation and asking for `dy/dx`
# - what the tape watches (variables) and how to make it watch a constant
# - gradients for a list of variables at once, and persistent tapes
# - second derivatives with nested tapes (a falling apple's acceleration)
# - gradient descent by hand, the effect of the learning rate, and an interactive control for it
# - how SGD, momentum, Adagrad, RMSprop, Adadelta and Adam move on the same loss surface
# - mini-batch stochastic gradient descent as an algorithm, and why momentum helps
# - backpropagation: the chain rule by hand for a dense layer, checked against the tape
#
# Fill in each `# TODO`, then run the check cell below it. `lab.qN.hint()` gives a hint.

# %% tags=["setup"]
import ipywidgets as widgets
import matplotlib.pyplot as plt
import numpy as np
import tensorflow as tf
import keras

# %% [markdown]
# ## 1. The gradient tape
#
# Inside a `with tf.GradientTape() as tape:` block, TensorFlow records every operation on the
# values it watches. Afterwards, `tape.gradient(target, source)` returns d target / d source.
# For y = x², the derivative is 2x, so at x = 3 we expect 6:

# %%
x = tf.Variable(3.0)
with tf.GradientTape() as tape:
    y = x * x
print("dy/dx at x = 3:", tape.gradient(y, x).numpy())

# %% [markdown]
# **Exercise 1.** Write `derivative_of_square(x)` that returns d(x²)/dx **computed by a gradient
# tape** for a variable `x`. The check calls it at several points of its own choosing and
# watches the tape while it runs: a derivative typed in by hand (`return 2 * x`) does not count,
# even after a tape call; return what the tape gives.

# %% answer="q1"
def derivative_of_square(x):
    ### BEGIN SOLUTION
    with tf.GradientTape() as tape:
        y = x ** 2
    return tape.gradient(y, x)
    ### END SOLUTION


# %%
lab.q1.check(derivative_of_square)

# %% [markdown]
# ## 2. What the tape watches
#
# A tape follows trainable `tf.Variable`s automatically. A plain tensor (a `tf.constant`, or an
# input batch) is not watched, and its gradient comes back as `None`, unless you call
# `tape.watch(tensor)` first. Watching inputs is how saliency maps ask "which pixels mattered?".

# %%
c = tf.constant(3.0)
with tf.GradientTape() as tape:
    y = c * c
print("without watch:", tape.gradient(y, c))
with tf.GradientTape() as tape:
    tape.watch(c)
    y = c * c
print("with watch:   ", tape.gradient(y, c).numpy())

# %% [markdown]
# **Exercise 2.** Write `gradient_of_cube(x)` that returns d(x³)/dx for a **constant** `x`,
# computed by a gradient tape that watches `x` itself (copying `x` into a `tf.Variable` does not
# count: the exercise is about making a tape watch a constant).

# %% answer="q2"
def gradient_of_cube(x):
    ### BEGIN SOLUTION
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = x ** 3
    return tape.gradient(y, x)
    ### END SOLUTION


# %%
lab.q2.check(gradient_of_cube)

# %% [markdown]
# ## 3. Many variables, and persistent tapes
#
# `tape.gradient` takes a list (or dict) of sources and returns gradients in the same structure,
# each with the shape of its variable. That is exactly what training needs: one gradient per
# weight tensor of the model.
#
# A tape is released after one `gradient` call. To ask several questions of the same
# recording, create it with `persistent=True` (and delete it when done, it holds memory):

# %%
u = tf.Variable(2.0)
with tf.GradientTape(persistent=True) as tape:
    square = u ** 2
    cube = u ** 3
print("d(u²)/du =", tape.gradient(square, u).numpy(), "| d(u³)/du =", tape.gradient(cube, u).numpy())
del tape

# %% [markdown]
# **Exercise 3.** A tiny linear model `x_batch · w + b` with the loss mean((x_batch · w + b)²).
# The lab hands you a batch `x_batch` (a tensor) and the variables `w` and `b` (the grader hands
# you its own). Compute the `loss` under a tape and get `grad_w` and `grad_b` from that tape.

# %%
x_batch, w, b = lab.q3.inputs()
print("x_batch:", x_batch.shape, "| w:", w.shape, "| b:", b.shape)

# %% answer="q3"
with tf.GradientTape() as tape:
    loss = tf.reduce_mean((x_batch @ w + b) ** 2)  # SOLUTION
grad_w, grad_b = tape.gradient(loss, [w, b])  # SOLUTION

# %% [markdown]
# The check computes the loss and both gradients itself, with the chain rule, from its own copy
# of `x_batch`, `w` and `b`.

# %%
lab.q3.check(grad_w, grad_b, loss)

# %% [markdown]
# ## 4. Second derivatives: the falling apple
#
# Without air, an apple dropped from a tree falls 4.9 t² metres in t seconds: speed 9.8 t,
# acceleration 9.8 m/s², easy by hand. With air drag (and on a planet the lab picks for you),
# `fall(t)` below gives the distance fallen after t seconds, and its derivatives are no longer
# something to guess. The speed is the first derivative of the position, the acceleration the
# second. Nest two tapes: the inner one differentiates the position, the outer one records that
# differentiation and differentiates it again.
#
# **Exercise 4.** At the time `t` (in seconds) that the cell below hands you, compute `speed`
# and `acceleration` of `fall(t)` with nested tapes. `t` is a `tf.Variable`; the grader hands you
# its own time and planet. The `fall` handed to you notes what the tapes compute from it, so a
# finite difference (evaluating `fall` at nearby times) does not count.

# %%
t, fall = lab.q4.inputs()
print(f"t = {t.numpy():.2f} s, fallen {fall(t).numpy():.2f} m")

# %% answer="q4"
with tf.GradientTape() as outer:
    with tf.GradientTape() as inner:
        position = fall(t)
    speed = inner.gradient(position, t)  # SOLUTION
acceleration = outer.gradient(speed, t)  # SOLUTION

# %%
lab.q4.check(acceleration, speed)

# %% [markdown]
# ## 5. Gradient descent by hand
#
# To minimise a loss L(x), repeat: compute the gradient, take a small step against it,
#
# $$ x \leftarrow x - \eta \, \frac{dL}{dx} $$
#
# where η is the **learning rate**. Take L(x) = (x − x_f)², whose minimum is at x = x_f.
#
# **Exercise 5.** Write `minimise(x0, x_f, learning_rate, steps)`: start a variable at `x0`, take
# `steps` gradient-descent steps on (x − x_f)², and return the list of x values: the start and
# the value after every step (`steps + 1` numbers). Compute the gradient with a tape, not by
# hand, and step with the gradient the tape returns: the check runs your function with learning
# rates, step counts and targets of its own and watches the tape.

# %% answer="q5"
def minimise(x0, x_f, learning_rate, steps):
    ### BEGIN SOLUTION
    x = tf.Variable(float(x0))
    history = [float(x)]
    for _ in range(steps):
        with tf.GradientTape() as tape:
            loss = (x - x_f) ** 2
        x.assign_sub(learning_rate * tape.gradient(loss, x))
        history.append(float(x))
    return history
    ### END SOLUTION


# %%
lab.q5.check(minimise)

# %% [markdown]
# A picture of the descent: x approaches the target `x_f` quickly at first, then ever more slowly
# as the gradient shrinks near the minimum.

# %%
x_f = 4.0
path = minimise(x0=-2.0, x_f=x_f, learning_rate=0.05, steps=60)
if labtools.needs(path, exercise="Exercise 5"):
    plt.figure(figsize=(5, 2.5))
    plt.plot(path, label="x")
    plt.axhline(x_f, ls="--", color="grey", label="x_f")
    plt.xlabel("step")
    plt.ylabel("x")
    plt.legend()
    plt.tight_layout()
    plt.show()

# %% [markdown]
# Keras optimisers do the update for you: `optimizer.apply_gradients([(grad, var)])` performs
# `var -= learning_rate * grad` for `SGD`, and fancier rules for the others.

# %%
x = tf.Variable(-2.0)
sgd = keras.optimizers.SGD(learning_rate=0.05)
for _ in range(60):
    with tf.GradientTape() as tape:
        sgd_loss = (x - x_f) ** 2
    sgd.apply_gradients([(tape.gradient(sgd_loss, x), x)])
print(f"after 60 SGD steps: x = {x.numpy():.4f} (target {x_f})")

# %% [markdown]
# ## 6. The learning rate
#
# Too small a rate crawls; too large a rate overshoots, and beyond η = 1 (for this loss) every
# step lands farther from the minimum than the last, so x diverges. Three runs side by side:

# %%
def descent_path(learning_rate, steps, x0=-2.0, target=4.0):
    """Plain NumPy gradient descent on (x - target)², for the plots below."""
    xs = [x0]
    for _ in range(steps):
        xs.append(xs[-1] - learning_rate * 2 * (xs[-1] - target))
    return np.array(xs)


fig, axes = plt.subplots(1, 3, figsize=(10, 2.5), sharey=True)
for ax, (label, lr) in zip(axes, [("too small", 0.005), ("about right", 0.2), ("too large", 1.05)]):
    ax.plot(descent_path(lr, 30))
    ax.axhline(4.0, ls="--", color="grey")
    ax.set_title(f"{label}: η = {lr}")
    ax.set_xlabel("step")
    ax.set_ylim(-12, 20)
axes[0].set_ylabel("x")
plt.tight_layout()
plt.show()

# %% [markdown]
# Now try it yourself: move the sliders and watch the path.

# %%
def show_descent(learning_rate=0.1, steps=30):
    path = descent_path(learning_rate, steps)
    plt.figure(figsize=(5, 2.5))
    plt.plot(path, marker=".", label="x")
    plt.axhline(4.0, ls="--", color="grey", label="x_f")
    plt.ylim(-12, 20)
    plt.xlabel("step")
    plt.legend()
    plt.title(f"η = {learning_rate:.3g}: final x = {path[-1]:.3g}")
    plt.tight_layout()
    plt.show()


wide = dict(style={"description_width": "110px"}, layout=widgets.Layout(width="520px"), continuous_update=False)
_ = widgets.interact(show_descent,
                     learning_rate=widgets.FloatLogSlider(value=0.1, base=10, min=-3, max=0.1, step=0.05,
                                                          description="learning rate", **wide),
                     steps=widgets.IntSlider(value=30, min=5, max=100, description="steps", **wide))

# %% [markdown]
# ## 7. Optimisers on one loss surface
#
# Real losses are not round bowls. On a long, narrow valley plain SGD zig-zags across the steep
# direction while crawling along the shallow one. The optimisers Keras provides fix this in
# different ways:
#
# | optimiser | idea |
# |---|---|
# | SGD | step against the gradient |
# | SGD with momentum | keep a running velocity, so consistent directions speed up and zig-zags cancel |
# | Adagrad | divide each coordinate's step by the root of its summed squared gradients |
# | RMSprop | the same with a decaying average, so steps do not shrink forever |
# | Adadelta | RMSprop plus a running scale of past updates, so the step has the units of the weights; its first steps are tiny (here 0.0014 at rate 1.0, the original paper's; Keras' default rate is 0.001) and grow only as that scale builds up |
# | Adam | momentum and RMSprop together, with bias correction early on |
#
# All six start from the same point on f(x, y) = 0.1 x² + 2 y² and take the same number of steps.

# %%
def surface(p):
    return 0.1 * p[0] ** 2 + 2.0 * p[1] ** 2


def optimiser_path(optimizer, steps, start=(-4.5, 1.5)):
    p = tf.Variable(start, dtype=tf.float32)
    path = [p.numpy().copy()]
    for _ in range(steps):
        with tf.GradientTape() as tape:
            loss = surface(p)
        optimizer.apply_gradients([(tape.gradient(loss, p), p)])
        path.append(p.numpy().copy())
    return np.array(path)


steps = labtools.pick(fast=40, full=150)
optimisers = {
    "SGD": keras.optimizers.SGD(learning_rate=0.4),
    "momentum": keras.optimizers.SGD(learning_rate=0.05, momentum=0.9),
    "Adagrad": keras.optimizers.Adagrad(learning_rate=0.5),
    "RMSprop": keras.optimizers.RMSprop(learning_rate=0.1),
    "Adadelta": keras.optimizers.Adadelta(learning_rate=1.0),
    "Adam": keras.optimizers.Adam(learning_rate=0.2),
}
paths = {name: optimiser_path(opt, steps) for name, opt in optimisers.items()}

gx, gy = np.meshgrid(np.linspace(-5, 5, 200), np.linspace(-2, 2, 120))
plt.figure(figsize=(8, 3.6))
plt.contour(gx, gy, surface((gx, gy)), levels=np.geomspace(0.01, 10, 12), colors="lightgrey")
for name, path in paths.items():
    plt.plot(path[:, 0], path[:, 1], marker=".", ms=3, lw=1, label=f"{name}: f = {surface(path[-1]):.3f}")
plt.plot(0, 0, "k*", ms=10)
plt.legend(fontsize=8, loc="lower right")
plt.title(f"{steps} steps from (-4.5, 1.5)")
plt.tight_layout()
plt.show()

# %% [markdown]
# Read the picture: SGD's rate must stay below 0.5 for the steep *y* direction, or it diverges
# there, so each step covers only 8% of the way along the shallow *x* direction; momentum builds
# speed along the valley; Adagrad, RMSprop and Adam rescale each coordinate so both directions
# move at a similar pace. Adadelta hardly moves: at rate 1.0, f falls only from 6.5 to about 5.1
# in 150 steps (to about 0.08 in 2,000); at Keras' default rate, 0.001, it stays where it starts.
# It needs many more steps, or a far larger rate (try `learning_rate=50` above). No optimiser
# wins everywhere. Adam is a robust default; SGD with momentum is still common when carefully
# tuned.
#
# ## 8. Mini-batch stochastic gradient descent
#
# Real losses are averages over a data set, and computing the gradient on all of it for every
# step is slow. **Mini-batch SGD** estimates it from a few examples at a time:
#
# 1. draw a batch of examples at random;
# 2. run the model forward on it and compute the loss;
# 3. get the gradient of that loss (the tape plays the computation backwards);
# 4. step every weight against its gradient: w ← w − η · gradient;
# 5. repeat, one **epoch** being one pass over the data.
#
# *Stochastic* means random: each batch's gradient is a noisy estimate of the true one. The noise
# costs precision near the end, but each step is cheap, and it can shake the weights out of a
# shallow **local minimum**. **Momentum** keeps a running velocity, so steps in a consistent
# direction add up (rolling through small dips and across flat stretches) while zig-zags cancel.
# Below, a line y = 3x − 1 is fitted to 1,000 noisy points with batches of 1, 32 and all 1,000.

# %%
rng = np.random.default_rng(0)
data_x = rng.uniform(-1, 1, 1000).astype("float32")
data_y = (3 * data_x - 1 + rng.normal(0, 0.3, 1000)).astype("float32")


def sgd_fit(batch_size, steps, learning_rate=0.1):
    """Fit y = w x + c by mini-batch SGD; returns (w, c) after each step."""
    w, c = tf.Variable(0.0), tf.Variable(0.0)
    path = []
    for _ in range(steps):
        idx = rng.choice(len(data_x), batch_size, replace=False)  # 1. a random batch
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean((w * data_x[idx] + c - data_y[idx]) ** 2)  # 2. forward, loss
        dw, dc = tape.gradient(loss, [w, c])  # 3. gradient
        w.assign_sub(learning_rate * dw)  # 4. step
        c.assign_sub(learning_rate * dc)
        path.append((w.numpy(), c.numpy()))
    return np.array(path)


fig, axes = plt.subplots(1, 2, figsize=(9, 3.2))
for batch_size in (1, 32, 1000):
    path = sgd_fit(batch_size, steps=labtools.pick(fast=60, full=150))
    axes[0].plot(path[:, 0], path[:, 1], ".-", ms=2, lw=0.8, label=f"batch {batch_size}")
    axes[1].plot(np.abs(path[:, 0] - 3), lw=1, label=f"batch {batch_size}")
axes[0].plot(3, -1, "k*", ms=10)
axes[0].set(xlabel="w", ylabel="c", title="the path of (w, c)")
axes[1].set(xlabel="step", ylabel="|w − 3|", yscale="log", title="distance from the true slope")
axes[0].legend(fontsize=8)
plt.tight_layout()
plt.show()

# %% [markdown]
# A batch of one wanders (its gradient is one example's opinion); the full batch walks straight
# but each step reads all the data; 32 is nearly as straight at a thirtieth of the cost. This is
# what `model.fit(batch_size=...)` does, with a Keras optimiser doing step 4.
#
# Momentum on a bumpy loss: plain gradient descent stops in the first dip; with momentum the
# ball rolls through it to the deeper minimum.

# %%
def bumpy(v):
    return 0.1 * v ** 2 + 0.3 * tf.sin(3 * v)


def roll(momentum, steps=labtools.pick(fast=80, full=150)):
    v = tf.Variable(4.0)
    opt = keras.optimizers.SGD(learning_rate=0.1, momentum=momentum)
    for _ in range(steps):
        with tf.GradientTape() as tape:
            loss = bumpy(v)
        opt.apply_gradients([(tape.gradient(loss, v), v)])
    return float(v.numpy())


grid = np.linspace(-6, 6, 400).astype("float32")
plt.figure(figsize=(6, 2.6))
plt.plot(grid, bumpy(grid), color="grey")
for momentum, colour in ((0.0, "tab:orange"), (0.9, "tab:blue")):
    end = roll(momentum)
    plt.plot(end, bumpy(tf.constant(end)), "o", color=colour, label=f"momentum {momentum}: stops at {end:.2f}")
plt.plot(4.0, bumpy(tf.constant(4.0)), "k^", label="start")
plt.legend(fontsize=8)
plt.tight_layout()
plt.show()

# %% [markdown]
# ## 9. Backpropagation: the chain rule by hand
#
# How does the tape get its gradients? By the **chain rule**: if L depends on z and z on w, then
# dL/dw = dL/dz · dz/dw. A network is a chain of such steps, so the tape runs the computation
# **forward** (recording each step's inputs), then goes **backward** from the loss, multiplying
# by each step's local derivative. That backward pass is *backpropagation*.
#
# A two-step graph: z = w · x + b, L = (z − y)². Forward with w = 2, x = 3, b = 1, y = 5: z = 7,
# L = 4. Backward: dL/dz = 2 (z − y) = 4; dz/dw = x = 3 and dz/db = 1, so dL/dw = 12 and dL/db = 4.

# %%
w_, b_ = tf.Variable(2.0), tf.Variable(1.0)
with tf.GradientTape() as tape:
    z = w_ * 3.0 + b_
    L = (z - 5.0) ** 2
print("forward: z =", z.numpy(), "L =", L.numpy(), "| backward (tape): dL/dw, dL/db =",
      [float(g) for g in tape.gradient(L, [w_, b_])])

# %% [markdown]
# A gradient has the **shape of its variable**: one number per weight, saying how fast L grows
# when that weight grows. Together they point in the direction of **steepest ascent** of L,
# which is why descent steps against them.
#
# For a whole dense layer, z = x W + b with x of shape (n, d), W (d, u), b (u,), and the loss
# L = mean((z − y)²) over all n·u entries:
#
# - dL/dz = 2 (z − y) / (n·u), shape (n, u);
# - dL/dW = xᵀ · dL/dz, shape (d, u) like W (each weight meets every example's input);
# - dL/db = dL/dz summed over the n rows, shape (u,) like b (the bias is added to every row).
#
# **Exercise 6.** Write `dense_gradients(x, W, b, y)` that returns `(dL_dW, dL_db)` for this layer
# and loss, computed with these formulas and matrix operations, **without** a gradient tape (the
# check watches for one). The cell after it compares your result with the tape.

# %% answer="q6"
def dense_gradients(x, W, b, y):
    ### BEGIN SOLUTION
    z = x @ W + b
    dz = 2 * (z - y) / tf.cast(tf.size(z), z.dtype)
    return tf.transpose(x) @ dz, tf.reduce_sum(dz, axis=0)
    ### END SOLUTION


# %%
lab.q6.check(dense_gradients)

# %%
if labtools.needs(dense_gradients, exercise="Exercise 6"):
    x_, y_ = tf.random.normal([5, 3]), tf.random.normal([5, 2])
    W_, b_ = tf.Variable(tf.random.normal([3, 2])), tf.Variable(tf.zeros([2]))
    with tf.GradientTape() as tape:
        loss_ = tf.reduce_mean((x_ @ W_ + b_ - y_) ** 2)
    tape_W, tape_b = tape.gradient(loss_, [W_, b_])
    mine_W, mine_b = dense_gradients(x_, W_, b_, y_)
    print("largest difference from the tape: dL/dW", float(tf.reduce_max(tf.abs(tape_W - mine_W))),
          "| dL/db", float(tf.reduce_max(tf.abs(tape_b - mine_b))))

# %% [markdown]
# **Exercise 7 (written).** Explain how automatic differentiation works in TensorFlow: what does
# `tf.GradientTape` record, and how does `tape.gradient` use it? Write a few sentences in the
# Markdown cell below (double-click it to edit), save the notebook, then run the check. Your
# instructor grades this answer (2 points).

# %% [markdown] answer="q7"
# Inside `with tf.GradientTape() as tape:` TensorFlow records every operation run on watched
# values (trainable variables, or tensors after `tape.watch`), with its inputs and outputs.
#
# `tape.gradient(loss, sources)` then goes through that record backwards, from the loss to the
# sources: each operation has a known derivative, and the chain rule multiplies and adds them
# (reverse-mode differentiation, backpropagation), giving the gradient of the loss for every
# source in one pass. A tape answers once unless it is persistent, and nested tapes give second
# derivatives.

# %%
lab.q7.check()

# %% [markdown]
# ## Summary
#
# - `tf.GradientTape` records operations; `tape.gradient(target, sources)` plays them backwards.
# - Variables are watched automatically, constants need `tape.watch`; a list of sources gives a
#   list of gradients; `persistent=True` allows several `gradient` calls.
# - Nested tapes give higher derivatives (the apple's acceleration, which air drag brings down
#   from g towards 0 as it nears its terminal speed).
# - Gradient descent steps against the gradient; the learning rate decides between crawling,
#   converging and diverging. Keras optimisers implement smarter update rules.
# - Mini-batch SGD: random batch, forward, loss, gradient, step; the noise is cheap and can escape
#   shallow dips, and momentum rolls through them.
# - Backpropagation is the chain rule run backwards; a gradient has its variable's shape. For a
#   dense layer, dL/dW = xᵀ dL/dz and dL/db sums dL/dz over the batch.

# %%
labtools.progress()
