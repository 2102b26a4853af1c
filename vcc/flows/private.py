"""Personal data on disk is its owner's alone: files 0600 in folders 0700, whatever the umask.

Quarantined rows, source snapshots, ``instances.parquet``, the SQLite warehouse, archived runs
and the QAF case review pack and form hold case data. Their folders are made owner-only as they
are created, before anything is written in them, so that a file's moment between being written
(with the umask's mode) and being made 0600 is never open to anyone else.
"""

from __future__ import annotations

import os
from pathlib import Path

FILE_MODE = 0o600
FOLDER_MODE = 0o700


def private_folder(path: Path) -> Path:
    """``path`` made with its missing parents, each made 0700 whatever the umask. A folder
    that exists already is left as it is: vcc never changes the mode of a folder it did not
    create (a shared mode-1777 output folder stays shared; what vcc writes in it is private)."""
    missing = []
    folder = path
    while not os.path.lexists(folder) and folder != folder.parent:
        missing.append(folder)
        folder = folder.parent
    for folder in reversed(missing):
        try:
            folder.mkdir(mode=FOLDER_MODE)
        except FileExistsError:  # made by another process meanwhile: not ours to re-mode
            continue
        os.chmod(folder, FOLDER_MODE)
    if not path.is_dir():
        path.mkdir()  # the error a folder cannot be made with (a file in the way)
    return path


def private_file(path: Path) -> Path:
    """``path`` created empty if missing, and set to 0600."""
    os.close(os.open(path, os.O_WRONLY | os.O_CREAT, FILE_MODE))
    os.chmod(path, FILE_MODE)
    return path


def make_private(path: Path) -> None:
    """``path``, and everything inside it if a folder: folders 0700, files 0600."""
    if path.is_symlink() or not path.exists():
        return
    if path.is_file():
        os.chmod(path, FILE_MODE)
        return
    os.chmod(path, FOLDER_MODE)
    for root, folders, files in os.walk(path):
        for name in folders:
            os.chmod(os.path.join(root, name), FOLDER_MODE)
        for name in files:
            os.chmod(os.path.join(root, name), FILE_MODE)
