from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ImporterConfig(AppConfig):
    name = "bitpoll.importer"
    label = "importer"
    verbose_name = _("Import from the original Bitpoll")
