"""edgenas: from a NAS result to a compressed INT8 model measured on an edge device."""

__version__ = "0.1.0"
