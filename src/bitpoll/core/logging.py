import json
import logging
from datetime import UTC, datetime


class JsonFormatter(logging.Formatter):
    """One JSON object per line, for journald and log shippers.

    gunicorn passes its access-log atoms as a dict in record.args; they become fields so that
    status, path and duration can be queried without parsing the message.
    """

    _atoms = {"h": "remote", "m": "method", "U": "path", "s": "status", "B": "bytes", "M": "ms"}

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        if isinstance(record.args, dict):
            for atom, field in self._atoms.items():
                if atom in record.args:
                    entry[field] = record.args[atom]
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False, default=str)
