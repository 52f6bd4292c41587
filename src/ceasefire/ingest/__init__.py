"""Readers and writers of observation formats; validation; quarantine."""

from ceasefire.ingest.readers import FORMATS, RawRecord, detect_format, read_records
from ceasefire.ingest.validate import (
    Duplicate,
    IngestResult,
    Rejected,
    ingest_files,
    validate_records,
    write_ndjson,
    write_quarantine,
)

__all__ = [
    "FORMATS",
    "Duplicate",
    "IngestResult",
    "RawRecord",
    "Rejected",
    "detect_format",
    "ingest_files",
    "read_records",
    "validate_records",
    "write_ndjson",
    "write_quarantine",
]
