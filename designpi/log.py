"""Log lines for stdout: one event, one line, so a collector never splits an event
(a traceback, a path with a newline in it) across records."""

import logging


class OneLineFormatter(logging.Formatter):
    def format(self, record):
        text = super().format(record)
        # Tracebacks keep their content, each line break written as " | ".
        return text.replace("\r\n", "\n").replace("\r", "\n").replace("\n", " | ")
