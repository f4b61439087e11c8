# %% [markdown]
# # Lab 01 · Tensors
# <!-- badges -->
#
# ## What you'll learn
# - what the rank and shape of a tensor are

# %% tags=["setup"]
import numpy as np
import tensorflow as tf

# %% [markdown]
# ## 1. Rank 4
# **Exercise 1.** Make `images`, ten 256×256 colour images filled with zeros.

# %% answer="q1"
images = tf.zeros([10, 256, 256, 3])  # SOLUTION

# %%
lab.q1.check(images)

# %% tags=["hidden-tests"]
grade("q1", images)

# %% [markdown]
# ## Summary
