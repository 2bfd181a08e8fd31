"""``python -m harness.task [--write-schema]``: the task file JSON schema, printed or
written beside the code (a test checks the written one is current)."""
import json
import sys

from harness.task.spec import SCHEMA_FILE, json_schema

text = json.dumps(json_schema(), indent=2, ensure_ascii=False) + "\n"
if sys.argv[1:] == ["--write-schema"]:
    SCHEMA_FILE.write_text(text, encoding="utf-8")
else:
    sys.stdout.write(text)
