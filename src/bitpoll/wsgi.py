import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bitpoll.settings")

from bitpoll.core.handler import get_wsgi_application

application = get_wsgi_application()
