"""labtools grade: run submitted notebooks in fresh kernels and score them (see runner.py)."""
