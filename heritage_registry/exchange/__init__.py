"""Exchange: the registry's records written out to files and read back in, in every format.

Each format is a module of its own, and every import goes through the same validation
and bulk writer, so that a record means the same whichever format carried it:

- `jsonl`: JSON Lines, the registry's own lossless format (`export_jsonl`,
  `import_jsonl`, `import_path`), its header and the decoding of its lines; it carries the
  sources' texts too (`text` records).
- `csv`: CSV, for spreadsheets: events and sources out (`export_events_csv`,
  `export_sources_csv`), and in from three layouts (`import_csv`, `CsvRecords`).
- `geojson`: the located sites and monuments as GeoJSON, for a map (`write_geojson`).
- `datapackage`: a Frictionless data package (`export_datapackage`, `import_datapackage`),
  its tables in `package_schema` (`source_texts.csv` without the texts themselves unless
  asked for), its metadata in `package_metadata`; not loaded with
  this package (it reads TOML): `from heritage_registry.exchange import datapackage`.

What the formats share:

- `records`: the exchange record itself: the `*Line` models an imported record is
  checked with (`RecordLine`), the `ImportReport`, the uid of an event given without
  one (`fact_uid`), and the registry read out as records a page at a time
  (`iter_*_records`, `keyset_pages`).
- `reading`: a file's first bytes checked (`unreadable_head`, `peek_head`) and its
  lines bounded (`MAX_LINE_BYTES`).
- `problems`: what an import says is wrong (`ImportFailed`, `ImportProblems`,
  `UnreadableFile`, `BadLine`), each problem with its line and field in the file's words.
- `importing`: `import_records`, where every reader ends: the two passes, and an import
  stopped part way (a full disk, another writer).
- `validate`: the first pass, every record checked and staged (`BATCH_SIZE` records at a
  time, the first `PROBLEMS_SHOWN` problems listed); `workers` decodes and validates a
  large file's batches in worker processes (on Linux, after `POOL_AFTER` batches).
- `writer`: the second pass, the bulk writer (transactions of `TRANSACTION_SIZE` records,
  on SQLite growing with the registry: `transaction_full`),
  the rows of events and citations built by `rows`, with its `INSERT` by the driver in
  `inserts`; on PostgreSQL `overlap` writes a batch while the next is built; `pacing`
  keeps the garbage collector from walking a batch thousands of times.

A tunable (`validate.BATCH_SIZE`, `writer.TRANSACTION_SIZE`, `validate.PROBLEMS_SHOWN`,
`workers.POOL_AFTER`, `workers.MAX_WORKERS`) is read from its own module: set it there.
"""

from __future__ import annotations

from heritage_registry.exchange.csv import (
    CsvRecords,
    csv_records,
    export_events_csv,
    export_sources_csv,
    import_csv,
)
from heritage_registry.exchange.geojson import iter_features, write_geojson
from heritage_registry.exchange.importing import import_records
from heritage_registry.exchange.jsonl import (
    FORMAT,
    VERSION,
    export_jsonl,
    import_jsonl,
    import_path,
    jsonl_records,
)
from heritage_registry.exchange.problems import (
    BadLine,
    FieldName,
    ImportFailed,
    ImportProblems,
    UnreadableFile,
    line_problems,
    readable_field,
)
from heritage_registry.exchange.reading import MAX_LINE_BYTES, peek_head, unreadable_head
from heritage_registry.exchange.records import (
    FACT_FIELDS,
    ChangeLine,
    CitationLine,
    CiteLine,
    EventLine,
    ImportReport,
    MonumentLine,
    Progress,
    RecordLine,
    SiteLine,
    SourceLine,
    TextLine,
    cite_only,
    fact_uid,
    iter_change_records,
    iter_event_records,
    iter_monument_records,
    iter_site_records,
    iter_source_records,
    iter_text_records,
    keyset_pages,
)
from heritage_registry.exchange.validate import PROBLEMS_SHOWN
from heritage_registry.registry import RECORD_KINDS

__all__ = [
    "FACT_FIELDS",
    "FORMAT",
    "MAX_LINE_BYTES",
    "PROBLEMS_SHOWN",
    "RECORD_KINDS",
    "VERSION",
    "BadLine",
    "ChangeLine",
    "CitationLine",
    "CiteLine",
    "CsvRecords",
    "EventLine",
    "FieldName",
    "ImportFailed",
    "ImportProblems",
    "ImportReport",
    "MonumentLine",
    "Progress",
    "RecordLine",
    "SiteLine",
    "SourceLine",
    "TextLine",
    "UnreadableFile",
    "cite_only",
    "csv_records",
    "export_events_csv",
    "export_jsonl",
    "export_sources_csv",
    "fact_uid",
    "import_csv",
    "import_jsonl",
    "import_path",
    "import_records",
    "iter_change_records",
    "iter_event_records",
    "iter_features",
    "iter_monument_records",
    "iter_site_records",
    "iter_source_records",
    "iter_text_records",
    "jsonl_records",
    "keyset_pages",
    "line_problems",
    "peek_head",
    "readable_field",
    "unreadable_head",
    "write_geojson",
]
