"""``python -m harness.record``: rewrite run_record.schema.json from the record's classes."""
from harness.record import SCHEMA_PATH, json_schema

SCHEMA_PATH.write_text(json_schema(), encoding="utf-8")
print(f"wrote {SCHEMA_PATH}")
