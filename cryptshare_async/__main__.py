"""``python -m cryptshare_async``: the ``cryptshare-async`` command line."""

from .cli import main

if __name__ == "__main__":
    raise SystemExit(main())
