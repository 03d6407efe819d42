"""The folder the webhook writes its generated CA and serving key pair into (`--cert-dir`).

Whoever can write there can swap the key the webhook serves with, so the folder is created
private (0700) and an existing one is used only when it is a real folder (not a symlink), owned
by the user the webhook runs as, with no permission for group or others; the files we write in
it must not be symlinks or belong to someone else. Anything else is refused at start-up with
what to change, never worked around.
"""

from __future__ import annotations

import os
import stat

__all__ = ["FILES", "private_dir"]

FILES = ("ca.crt", "tls.crt", "tls.key")


def private_dir(path: str) -> None:
    """Create `path` private, or check that it is; a ValueError saying what is wrong otherwise."""
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        parent = os.path.dirname(os.path.abspath(path))
        os.makedirs(parent, exist_ok=True)
        os.mkdir(path, 0o700)
        os.chmod(path, 0o700)  # the umask may have taken bits away, never added them: be exact
        st = os.lstat(path)
    me = os.geteuid()
    if stat.S_ISLNK(st.st_mode):
        raise ValueError(f"--cert-dir {path}: a symbolic link; give the real folder, owned by the webhook's user")
    if not stat.S_ISDIR(st.st_mode):
        raise ValueError(f"--cert-dir {path}: not a folder")
    if st.st_uid != me:
        raise ValueError(f"--cert-dir {path}: owned by uid {st.st_uid}, not by the webhook's user (uid {me})")
    if st.st_mode & 0o077:
        raise ValueError(
            f"--cert-dir {path}: group or others have access (mode {stat.S_IMODE(st.st_mode):o}); "
            f"chmod 700 it, or give a folder that does not exist yet"
        )
    for name in FILES:
        file = os.path.join(path, name)
        try:
            fst = os.lstat(file)
        except FileNotFoundError:
            continue
        if stat.S_ISLNK(fst.st_mode) or not stat.S_ISREG(fst.st_mode):
            raise ValueError(f"--cert-dir {path}: {name} is not a regular file; remove it")
        if fst.st_uid != me:
            raise ValueError(f"--cert-dir {path}: {name} is owned by uid {fst.st_uid}; remove it")
