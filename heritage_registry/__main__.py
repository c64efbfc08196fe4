"""`python -m heritage_registry`: the `registry` command, for when it is not on PATH."""

from heritage_registry.cli import main

if __name__ == "__main__":
    main()
