"""The project store on a real SQLite file: schema from the migrations, pragmas, cascades,
the rule that models never overwrite a person's work, and the queries."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from sqlalchemy import inspect, text

from ocrstudio import store
from ocrstudio.core.types import Polygon, Region
from ocrstudio.store import db
from ocrstudio.store.models import Base

QUAD = Polygon(((377.0, 117.0), (463.0, 117.0), (465.0, 130.0), (378.0, 130.0)))


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One migrated empty database, copied for each test (migrating takes a while)."""
    path = tmp_path_factory.mktemp("template") / "project.db"
    engine = db.open_engine(path)
    with db.session_factory(engine).begin() as s:
        store.init_project(s, "t", {"split": {"seed": 3}})
    engine.dispose()  # checkpoints the WAL into the file
    return path


@pytest.fixture()
def factory(template: Path, tmp_path: Path):
    shutil.copy(template, tmp_path / "project.db")
    engine = db.open_engine(tmp_path / "project.db")
    yield db.session_factory(engine, tmp_path)
    engine.dispose()


def _image(s, path: str = "img_1.jpg", split: str = "train", sha: str = "0" * 64) -> int:
    return store.add_images(s, [store.NewImage(path, 1280, 720, sha, store.Split(split))])[0]


def test_migrations_create_exactly_the_model_schema(tmp_path: Path) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    engine = db.open_engine(tmp_path / "p.db")
    assert db.current_revision(engine) == db.head_revision()
    names = set(inspect(engine).get_table_names())
    assert {"project", "image", "region", "model_version", "training_run"} <= names
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == []
    db.downgrade(engine, "base")  # the first revision can be taken back...
    assert "region" not in inspect(engine).get_table_names()
    db.upgrade(engine)  # ...and applied again
    assert "region" in inspect(engine).get_table_names()
    engine.dispose()


def test_migrations_are_found_through_the_package_not_the_cwd(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert (db.MIGRATIONS_DIR / "env.py").is_file()
    assert db.head_revision() == db.HEAD_REVISION  # what open_engine compares against


def test_every_connection_gets_the_pragmas(factory) -> None:
    engine = factory.kw["bind"]
    conns = [engine.connect() for _ in range(2)]  # two pooled connections
    for conn in conns:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == db.BUSY_TIMEOUT_MS
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 1  # NORMAL
        conn.close()


def test_polygon_round_trips_exactly_and_regions_come_in_reading_order(factory) -> None:
    odd = Polygon(((0.1, 0.2), (10.25, 0.2), (10.25, 5.0), (7.0, 9.5), (0.1, 5.0)))
    with factory.begin() as s:
        img = _image(s)
        store.add_region(s, img, Region(QUAD, text="second", order=1))
        store.add_region(s, img, Region(odd, text="first", order=0))
    with factory() as s:
        regions = store.regions_of_image(s, img)
    assert [r.text for r in regions] == ["first", "second"]
    assert regions[0].polygon == odd and regions[1].polygon == QUAD
    assert regions[0].to_region().polygon == odd


def test_deleting_an_image_cascades_to_its_regions_in_the_database(factory) -> None:
    with factory.begin() as s:
        a, b = _image(s, "a.jpg"), _image(s, "b.jpg")
        for img in (a, a, b):
            store.add_region(s, img, Region(QUAD, text="x"))
    with factory.begin() as s:  # plain SQL: the cascade is the database's, not the ORM's
        s.execute(text("DELETE FROM image WHERE id = :i"), {"i": a})
    with factory() as s:
        assert store.regions_of_image(s, a) == []
        assert len(store.regions_of_image(s, b)) == 1
        count = s.execute(text("SELECT count(*) FROM region")).scalar()
    assert count == 1


def test_a_failed_transaction_leaves_nothing(factory) -> None:
    with pytest.raises(RuntimeError), factory.begin() as s:
        _image(s)
        raise RuntimeError("boom")
    with factory() as s:
        assert store.count_images(s) == 0


def test_model_writes_never_overwrite_verified_or_edited_regions(factory) -> None:
    with factory.begin() as s:
        img = _image(s)
        mv = store.add_model_version(s, "det-1", "dbnet", "detector", "models/det-1")
        verified = store.add_region(
            s, img, Region(QUAD, text="ok", verified=True, provenance="det-1"), edited=False
        )
        drawn = store.add_region(s, img, Region(QUAD, text="old"))  # a person drew it
        assert not store.model_update_region(s, drawn, "det-1", text="older")
    with factory() as s:
        assert store.get_region(s, drawn).text == "old"
        assert store.get_region(s, verified).protected
    with factory.begin() as s:
        model_made = store.write_model_regions(
            s, img, [Region(QUAD.translated(5, 5), text="a", score=0.4)], "det-1", mv.id
        )
        assert model_made == 1
        again = store.write_model_regions(
            s, img, [Region(QUAD.translated(9, 9), text="b", score=0.6)], "det-2", mv.id
        )
        assert again == 1
    with factory() as s:
        regions = store.regions_of_image(s, img)
        by_text = {r.text: r for r in regions}
        assert set(by_text) == {"ok", "old", "b"}  # "a" was replaced, person's work kept
        assert by_text["b"].provenance == "det-2" and by_text["b"].model_version_id == mv.id
        assert not by_text["b"].protected and by_text["ok"].protected
        assert store.get_image(s, img).status is store.ImageStatus.PRELABELED
    with factory.begin() as s:
        assert store.model_update_region(s, by_text["ok"].id, "rec-1", text="no") is False
        assert store.model_update_region(s, by_text["b"].id, "rec-1", text="yes") is True
        store.set_image_status(s, img, "verified")
        assert store.write_model_regions(s, img, [Region(QUAD)], "det-3") == 0
    with factory() as s:
        assert {r.text for r in store.regions_of_image(s, img)} == {"ok", "old", "yes"}


def test_a_person_editing_a_region_marks_it_edited_and_stamps_it(factory) -> None:
    with factory.begin() as s:
        img = _image(s)
        rid = store.add_region(s, img, Region(QUAD, text="tex", provenance="det-1"))
        before = store.get_region(s, rid)
    assert not before.edited
    with factory.begin() as s:
        after = store.update_region(s, rid, text="text", polygon=QUAD.translated(1, 0))
        with pytest.raises(TypeError):
            store.update_region(s, rid, provenance="manual")
    assert after.edited and after.text == "text" and after.updated > before.updated
    assert after.polygon == QUAD.translated(1, 0)
    with factory.begin() as s:
        assert store.model_update_region(s, rid, "rec-1", text="tax") is False
        store.delete_region(s, rid)
        assert store.get_region(s, rid) is None


def test_listing_filters_and_counts(factory) -> None:
    with factory.begin() as s:
        a = _image(s, "a.jpg", "train")
        b = _image(s, "b.jpg", "val")
        _image(s, "c.jpg", "train")
        store.add_region(s, a, Region(QUAD, text="Genaxis Theatre", verified=True))
        store.add_region(s, a, Region(QUAD, text="###", ignore=True))
        store.add_region(s, b, Region(QUAD, text="theatre"))
        store.set_image_status(s, a, "verified", verify_regions=True)
    with factory() as s:
        everything = store.list_images(s)
        assert [(r.path, r.region_count, r.verified_count) for r in everything] == [
            ("a.jpg", 2, 2),
            ("b.jpg", 1, 0),
            ("c.jpg", 0, 0),
        ]
        assert [r.path for r in store.list_images(s, split="train")] == ["a.jpg", "c.jpg"]
        assert [r.path for r in store.list_images(s, status="verified")] == ["a.jpg"]
        assert [r.path for r in store.list_images(s, offset=1, limit=1)] == ["b.jpg"]
        assert everything[0].file == s.info["root"] / "a.jpg"
        assert [r.text for r in store.search_text(s, "THEATRE")] == ["Genaxis Theatre", "theatre"]
        assert [r.text for r in store.search_text(s, "Th", case_sensitive=True)] == [
            "Genaxis Theatre"
        ]
        assert store.search_text(s, "%") == []  # wildcards are taken literally
        stats = store.char_stats(s)
        assert stats["e"] == 5 and stats["#"] == 0  # ignore regions do not count
        assert store.char_stats(s, split="val") == {"t": 2, "h": 1, "e": 2, "a": 1, "r": 1}
        assert sum(store.char_stats(s, verified_only=True).values()) == len("Genaxis Theatre")
        info = store.project_info(s)
    assert info.images == 3 and info.regions == 3 and info.verified_regions == 2
    assert info.per_split["train"] == store.SplitCounts(2, 2, 2, 1)
    assert info.per_split["test"] == store.SplitCounts()
    assert info.per_status == {"new": 2, "prelabeled": 0, "verified": 1}


def test_model_versions_and_their_lineage(factory) -> None:
    with factory.begin() as s:
        base = store.add_model_version(
            s,
            "dbnet-base",
            "dbnet_r18",
            "detector",
            "models/dbnet-base.safetensors",
            config={"k": 50},
        )
        tuned = store.add_model_version(
            s,
            "dbnet-ft1",
            "dbnet_r18",
            store.ModelRole.DETECTOR,
            "models/dbnet-ft1.safetensors",
            parent_id=base.id,
        )
        store.add_model_version(s, "crnn-1", "crnn", "recognizer", "models/crnn-1", charset="abc")
        store.set_model_metrics(s, tuned.id, {"hmean": 0.8})
    with factory() as s:
        assert [v.name for v in store.list_model_versions(s, "detector")] == [
            "dbnet-base",
            "dbnet-ft1",
        ]
        got = store.find_model_version(s, "dbnet-ft1")
        assert got.parent_id == base.id and got.metrics == {"hmean": 0.8}
        assert store.get_model_version(s, base.id).config == {"k": 50}
    with factory.begin() as s:
        store.delete_model_version(s, base.id)
    with factory() as s:
        assert store.get_model_version(s, tuned.id).parent_id is None  # SET NULL


def test_training_runs_keep_their_snapshot_and_history(factory) -> None:
    with factory.begin() as s:
        img = _image(s)
        rid = store.add_region(s, img, Region(QUAD, text="a"))
        run = store.add_training_run(s, "dbnet_r18", [img], config={"epochs": 2})
        assert run.status is store.RunStatus.QUEUED and run.image_ids == (img,)
        store.set_run_status(s, run.id, "running")
        store.append_epoch(s, run.id, {"epoch": 1, "loss": 2.0})
        store.append_epoch(s, run.id, {"epoch": 2, "loss": 1.5})
        mv = store.add_model_version(s, "dbnet-ft", "dbnet_r18", "detector", "models/x")
        done = store.set_run_status(s, run.id, "done", result_version_id=mv.id)
    assert [h["loss"] for h in done.history] == [2.0, 1.5]
    assert done.started is not None and done.finished >= done.started
    assert done.result_version_id == mv.id
    with factory.begin() as s:
        assert store.labels_hash(s, [img]) == run.labels_hash
        store.update_region(s, rid, text="b")
        assert store.labels_hash(s, [img]) != run.labels_hash  # labels changed since
        failed = store.add_training_run(s, "crnn", [])
        store.set_run_status(s, failed.id, "failed", error="out of memory")
    with factory() as s:
        assert [r.id for r in store.list_training_runs(s, "failed")] == [failed.id]
        assert store.get_training_run(s, failed.id).error == "out of memory"
        assert len(store.list_training_runs(s)) == 2
