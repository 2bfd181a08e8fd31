"""Opening the harness's own SQLite files: a transient "unable to open database file" (seen
when processes create one file together) is retried; a lasting one is an error naming the file."""
import threading

import pytest

from harness.engine import sqlite_files
from harness.errors import HarnessError

SCHEMA = "CREATE TABLE IF NOT EXISTS t (k TEXT PRIMARY KEY, v TEXT);"


def test_a_file_that_cannot_be_opened_for_a_moment_is_opened_once_it_can(tmp_path):
    path = tmp_path / "memo.sqlite"
    path.mkdir()  # SQLite cannot open a folder: the real "unable to open database file"
    clear = threading.Timer(0.3, path.rmdir)
    clear.start()
    db = sqlite_files.connect(path, SCHEMA)
    clear.join()
    with db:
        db.execute("INSERT INTO t VALUES ('a', 'b')")
    assert db.execute("SELECT v FROM t").fetchall() == [("b",)]
    db.close()


def test_a_file_that_never_opens_is_an_error_naming_it(tmp_path, monkeypatch):
    monkeypatch.setattr(sqlite_files, "OPEN_RETRY_S", 0.3)
    path = tmp_path / "memo.sqlite"
    path.mkdir()
    with pytest.raises(HarnessError, match=f"cannot open the SQLite file {path}.*writable"):
        sqlite_files.connect(path, SCHEMA)


def test_a_missing_folder_is_an_error_at_once(tmp_path):
    with pytest.raises(HarnessError, match="folder exists"):
        sqlite_files.connect(tmp_path / "nowhere" / "memo.sqlite", SCHEMA)
