"""``python -m cli``: the same as the ``datalab`` script."""

from cli import main

main()
