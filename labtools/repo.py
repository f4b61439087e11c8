"""Where the course lives.  Badges and the Colab install line are generated from this."""

REPOSITORY = "tf-labs/tf-labs"  # owner/name on GitHub
BRANCH = "main"


def pip_requirement() -> str:
    return f"labtools @ git+https://github.com/{REPOSITORY}@{BRANCH}"


def colab_url(notebook_path: str) -> str:
    return f"https://colab.research.google.com/github/{REPOSITORY}/blob/{BRANCH}/{notebook_path}"


def binder_url(notebook_path: str) -> str:
    return f"https://mybinder.org/v2/gh/{REPOSITORY}/{BRANCH}?urlpath=lab/tree/{notebook_path}"


def badges_markdown(notebook_path: str) -> str:
    return (
        f"[![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)]"
        f"({colab_url(notebook_path)}) "
        f"[![Binder](https://mybinder.org/badge_logo.svg)]({binder_url(notebook_path)})"
    )
