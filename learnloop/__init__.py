"""learnloop app shell: settings, logging, CLI and the local-stack launcher."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("learnloop")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0"
