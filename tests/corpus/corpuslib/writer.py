"""Writing files with the dates the corpus promises."""

import os


def write_file(path, data, mtime=None):
    """Writes data to path (making its directory); mtime (unix seconds, may be
    negative) becomes both its access and modification time."""
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as out:
        out.write(data)
    if mtime is not None:
        os.utime(path, (mtime, mtime))
