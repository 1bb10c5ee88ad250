"""WhiteNoise, finding each static file on its first request instead of at start (issue 16).

WhiteNoise indexes STATIC_ROOT when the application is loaded, before `bitpoll serve`
forks: a `stat` of every file and its compressed copies, its headers worked out, about 40 ms
of CPU for Bitpoll's ~290 files, paid by every start before the first page can be served.
Here the root is only recorded, as WhiteNoise's own `autorefresh` mode does, and a URL under
it is looked up with WhiteNoise's `find_file` (its canonical-URL test, its containment test
for the joined path, its refusal of the compressed copies as files of their own) the first
time a process is asked for it. What is found is kept, so every later request for that file
is the same dictionary look-up as with the eager index; misses are not kept, so random URLs
cannot grow a worker's memory (what is kept is bounded by the files in STATIC_ROOT). The
headers are WhiteNoise's, built by the same `get_static_file`; the files are as immutable as
with the eager index, which never looked at STATIC_ROOT again either.

WhiteNoise tells the hashed, immutable copies by building each file's URL through the
storage; the manifest's own mapping of names to hashed names answers the same question
directly.
"""

from __future__ import annotations

import os
import warnings
from typing import Any

from django.conf import settings
from django.contrib.staticfiles.storage import staticfiles_storage
from whitenoise.middleware import WhiteNoiseMiddleware
from whitenoise.responders import NotARegularFileError
from whitenoise.string_utils import ensure_leading_trailing_slash


class StaticFilesMiddleware(WhiteNoiseMiddleware):  # type: ignore[misc]
    prefixes: tuple[str, ...] = ()

    def add_files(self, root: str, prefix: str | None = None) -> None:
        if self.autorefresh:
            super().add_files(root, prefix)
            return
        # Recorded, not scanned: later roots take precedence, as their files overwrote the
        # earlier ones' in WhiteNoise's index.
        root = os.path.abspath(root).rstrip(os.path.sep) + os.path.sep
        if os.path.isdir(root):
            self.directories.insert(0, (root, ensure_leading_trailing_slash(prefix)))
            self.prefixes = tuple(prefix for _root, prefix in self.directories)
        else:
            warnings.warn(f"No directory at: {root}", stacklevel=3)

    def __call__(self, request: Any) -> Any:
        if self.autorefresh:
            return super().__call__(request)
        path = request.path_info
        static_file = self.files.get(path)
        if static_file is None and self.directories:
            static_file = self.find_new_file(path)
        if static_file is not None:
            return self.serve(static_file, request)
        return self.get_response(request)

    def find_new_file(self, url: str) -> Any:
        """WhiteNoise's look-up of `url` in the recorded roots, kept when found."""
        if not url.startswith(self.prefixes):
            return None
        try:
            static_file = self.find_file(url)
        except NotARegularFileError:  # a socket or device: not a file to serve
            return None
        if static_file is not None:
            self.files[url] = static_file
        return static_file

    def immutable_file_test(self, path: str, url: str) -> bool:
        hashed_files = getattr(staticfiles_storage, "hashed_files", None)
        if settings.DEBUG or not isinstance(hashed_files, dict):
            # No manifest (or DEBUG, where the storage gives unhashed URLs): WhiteNoise's way.
            return bool(super().immutable_file_test(path, url))
        if not url.startswith(self.static_prefix):
            return False
        name = url[len(self.static_prefix) :]
        unhashed = self.get_name_without_hash(name)
        return name != unhashed and hashed_files.get(unhashed) == name
