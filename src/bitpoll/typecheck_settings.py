"""Settings for static type checking only: mypy's django-stubs plugin imports them.

The real settings stop without a secret key, and none exists before the `bitpoll` command has
run once; a type checker needs the names, not the key. The key here is random per process, so
pointing a server at this module by mistake gives it no key anyone knows.
"""

import os
import secrets

if not os.environ.get("BITPOLL_SECRET_KEY") and not os.environ.get("BITPOLL_SECRET_KEY_FILE"):
    os.environ["BITPOLL_SECRET_KEY"] = secrets.token_urlsafe(48)

from bitpoll.settings import *  # noqa: F403
