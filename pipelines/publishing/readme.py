"""The generated `data/marts/README.md`: what is published, and how BI tools connect to it.

Generated from the release's own manifest at every publish, so the column list can never drift from the files
beside it; it lives in the release folder and `data/marts/README.md` points at the current one.
"""

from pathlib import Path

from pipelines.publishing.bi import (
    CURRENT,
    MANIFEST_FILE,
    PUBLICATION_TABLE,
    RELEASES,
    SERVING_FILE,
    VERSION_COLUMN,
)


def _cell(text: str) -> str:
    return " ".join(str(text).split()).replace("|", "\\|") or " "


def render_readme(manifest: dict, marts_dir: Path) -> str:
    serving = marts_dir / SERVING_FILE
    version = manifest["version"]
    tables: dict = manifest["tables"]
    first = next(iter(tables), "poverty_by_region")
    out: list[str] = []
    w = out.append
    w("# Published marts (generated, do not edit)\n")
    w(
        f"Version **`{version}`**, published {manifest['published_at']} (Dagster run `{manifest['run_id']}`). "
        "This file is rewritten by every publish (`pipelines/publishing/readme.py`).\n"
    )
    w("Counts for dashboards: no NIK, KK number, name or address is published here. The by-name")
    w("`target_households` lists go per kabupaten/kota to `data/restricted/<kemendagri kab code>/` only.\n")

    w("## Files\n")
    w("| file | what | rows |")
    w("|---|---|---|")
    w(
        f"| `{SERVING_FILE}` | DuckDB database, read-only: every table below in schema `main` and in schema `marts` | |"
    )
    for name, t in tables.items():
        w(f"| `{name}.parquet` | {_cell(t.get('description') or name)} | {t['rows']:,} |")
    w(f"| `{MANIFEST_FILE}` | version, row counts, columns and sha256 of every file (JSON) | |")
    w(f"| `{RELEASES}/<version>/` | the last few complete publications; `{CURRENT}` points at the newest | |")
    w("")
    w(f"On this machine the folder is `{marts_dir}`.\n")

    w("## Consistency: what a reader sees while the nightly run refreshes\n")
    w(
        "A publish builds a complete new release in `releases/<version>/` and then switches the symlink "
        "`current` to it with one atomic rename. Every top-level name (`marts.duckdb`, `<table>.parquet`, "
        "`manifest.json`, this README) is a symlink through `current`, so a reader sees the whole previous "
        "publication or the whole new one, never a mix inside one file, and never a half-written file. A run "
        "that fails at any point leaves the previous publication as it was. Readers are never locked out.\n"
    )
    w(
        f"- **`{SERVING_FILE}`**: one connection sees one version, all tables agreeing. A connection opened "
        "before a refresh keeps seeing the old version until it reconnects.\n"
        "- **One Parquet file** is always one whole version. A tool that opens the same path twice during "
        "one read (DuckDB `read_parquet`, pyarrow/pandas `read_parquet(path)`) can get an error if the "
        "nightly switch lands in the milliseconds between its two opens: run the query again. To avoid "
        "even that, read `releases/<version>/` (below), or open the file once in Python "
        "(`pq.read_table(open(path, 'rb'))`).\n"
        "- **Several Parquet files** opened one after another by their top-level names can come from two "
        "versions if a refresh lands in between. For a consistent set, read them from the folder "
        "`current` points to (`releases/<version>/`), or check that the "
        f"`{VERSION_COLUMN}` column agrees across them.\n"
        f"- Every table has the column `{VERSION_COLUMN}`; the table `{PUBLICATION_TABLE}` lists each "
        "table's row count for that version.\n"
    )

    w("## Tables\n")
    for name, t in tables.items():
        w(f"### `{name}`\n")
        if t.get("description"):
            w(f"{t['description']}\n")
        w(f"{t['rows']:,} rows. Parquet: `{name}.parquet`; SQL: `{name}` (or `marts.marts.{name}`).\n")
        w("| column | type | description |")
        w("|---|---|---|")
        for c in t["columns"]:
            w(f"| `{c['name']}` | {c['type']} | {_cell(c.get('description', ''))} |")
        w("")
    w(f"### `{PUBLICATION_TABLE}`\n")
    w("One row per published table: `version`, `published_at`, `run_id`, `table_name`, `row_count`, ")
    w("`column_count`, `parquet_file`.\n")

    w("## Connecting a BI tool\n")
    w(
        "Always open the DuckDB file **read-only**: a read-write open would wait for, or block, nothing "
        "here, but it needs write access the file does not give (mode 0444) and would leave a `.wal` "
        "beside it. In DuckDB the file is attached as catalog `marts`, so the two-part name "
        f"`marts.{first}` is ambiguous: write `{first}` (schema `main`) or `marts.marts.{first}`.\n"
    )
    w("**Metabase** (DuckDB driver plugin `duckdb.metabase-driver.jar` in Metabase's `plugins/` folder):")
    w(
        f"Admin > Databases > Add database > DuckDB; Database file: `{serving}`; turn on "
        '"Establish a read-only connection"; after the first sync use the tables of schema **main**.\n'
    )
    w(
        "**Superset** (`pip install duckdb-engine` in Superset's environment): Settings > Database Connections >"
    )
    w(f"+ Database > Other, SQLAlchemy URI `duckdb:///{serving}?access_mode=read_only`.\n")
    w("**DBeaver**: New Database Connection > DuckDB; Path: the file above; Driver properties:")
    w("`duckdb.read_only` = `true` (and tick *Read-only connection* in the connection's General page).\n")
    w("**Evidence**: a DuckDB source, `sources/tkpk/connection.yaml`:")
    w(f"```yaml\nname: tkpk\ntype: duckdb\noptions:\n  filename: {serving}\n```\n")
    w("**Python**:")
    w(
        "```python\nimport duckdb, os, polars as pl\n"
        f"con = duckdb.connect({str(serving)!r}, read_only=True)  # one version while open\n"
        f"con.sql('select * from {first}').pl()\n"
        "# a consistent set of Parquet files: resolve `current` once, read from that release\n"
        f"release = os.path.realpath({str(marts_dir / CURRENT)!r})\n"
        f"pl.read_parquet(os.path.join(release, '{first}.parquet'))\n```\n"
        "`pipelines.publishing.reader` does the same and checks it "
        "(`python -m pipelines.publishing.reader` is a health check of the current publication).\n"
    )
    w("**A spreadsheet (Excel / Power BI, Power Query)**: Data > Get Data > From File > From Parquet, and")
    w(
        f"give the path of one table, for example `{marts_dir / (first + '.parquet')}` (or its path on the "
        "shared drive). Refresh the query to get the newest night. Each file is one whole version.\n"
    )

    w("## Where this comes from\n")
    w(
        "The Dagster asset `publish/bi_marts` (group `publish`) writes this folder after the quality gate "
        "passes on the marts; the nightly schedule runs it at 01:00 Asia/Jakarta. Open the Dagster UI with "
        "`make ui` and go to http://127.0.0.1:3000 (Assets > publish). `python -m pipelines.cli summary` "
        "prints what is published.\n"
    )
    return "\n".join(out)
