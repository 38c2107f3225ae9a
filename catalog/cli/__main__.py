"""``python -m catalog.cli``: the same as the ``datalab`` script."""

from catalog.cli import main

main()
