"""`python -m kubectl_rollouts_py` runs the CLI."""

from kubectl_rollouts_py.cli import main

if __name__ == "__main__":
    main()
