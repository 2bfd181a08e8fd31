"""The typed, versioned run record (``run.json``) and its JSON schema."""
from __future__ import annotations

import json
from pathlib import Path

from harness.record.run import (MAX_LISTED_ERRORS, SCHEMA_VERSION, Batches, EngineCounts,
                                Environment, ExampleError, Files, MergedFrom, ModelInfo,
                                RunRecord, Score, Status, TaskInfo, Throughput, Timings)

__all__ = ["RunRecord", "TaskInfo", "ModelInfo", "Score", "Timings", "Throughput", "EngineCounts",
           "Batches", "Environment", "ExampleError", "Files", "MergedFrom", "Status",
           "SCHEMA_VERSION", "MAX_LISTED_ERRORS", "SCHEMA_PATH", "json_schema"]

SCHEMA_PATH = Path(__file__).resolve().parent / "run_record.schema.json"


def json_schema() -> str:
    """The JSON schema of run.json, as ``SCHEMA_PATH`` holds it."""
    schema = {"$schema": "https://json-schema.org/draft/2020-12/schema",
              "$id": f"harness/run_record/v{SCHEMA_VERSION}",
              **RunRecord.model_json_schema(mode="serialization")}
    return json.dumps(schema, indent=2, ensure_ascii=False) + "\n"
