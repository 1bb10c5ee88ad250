"""WhiteNoise, with its start-up index of the static files made cheaper (issue 16).

WhiteNoise indexes STATIC_ROOT when the application is loaded, before `bitpoll serve` forks,
and asks for every file whether it is one of the hashed, immutable copies (served with a
year's max-age). Its own test builds the file's URL through the storage for each of them
(the manifest look-up, then URL quoting and joining: about a third of the index's time);
the manifest's own mapping of names to hashed names answers the same question directly.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.staticfiles.storage import staticfiles_storage
from whitenoise.middleware import WhiteNoiseMiddleware


class StaticFilesMiddleware(WhiteNoiseMiddleware):  # type: ignore[misc]
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
