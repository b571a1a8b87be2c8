"""Errors a user can fix. Their message names the key, file or host at fault and what to do,
and a workflow stage prints it alone (``runlog.to_log``), without a library traceback."""
from __future__ import annotations


class UserFacingError(Exception):
    """A failure caused by the input (config, data, a result file, a device), told in words."""


class DataSetError(UserFacingError, ValueError):
    """The data set named by ``data_root`` is missing, unreadable or unusable."""


class ConfigError(UserFacingError, ValueError):
    """A config value that cannot work with the data, the space or the machine; names the key."""
