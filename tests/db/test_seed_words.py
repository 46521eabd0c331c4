"""Seeding in a language: the demo data's own words (pipelines, stages, titles, subjects) in that language,
the search indexes still right, English by default."""

import pytest

from db.core import settings
from db.core.connection import connect
from db.crm import search
from db.io.seed import main, seed
from db.io.seed_words import COLUMNS, DEAL_KINDS, POSITIONS
from tests.conftest import TODAY

ENGLISH = {w for _, _, words in COLUMNS for w in words} | set(DEAL_KINDS) | set(POSITIONS)


def _words(c):
    pipelines = [r[0] for r in c.execute("SELECT name FROM pipelines ORDER BY position")]
    stages = [r[0] for r in c.execute("SELECT name FROM stages ORDER BY pipeline_id, position")]
    subjects = {r[0] for r in c.execute("SELECT DISTINCT subject FROM activities")}
    return pipelines, stages, subjects


def test_seeding_in_bulgarian_names_the_board_and_the_data_in_bulgarian(tmp_path):
    c = connect(tmp_path / "bg.db")
    seed(c, "tiny", 3, TODAY, language="bg")
    pipelines, stages, subjects = _words(c)
    assert pipelines == ["Продажби", "Подбор на персонал"]
    assert stages[:6] == ["Потенциален клиент", "Квалифициран", "Оферта", "Преговори", "Спечелена", "Загубена"]
    assert not (set(stages) | subjects) & ENGLISH
    titles = [r[0] for r in c.execute("SELECT title FROM deals ORDER BY id")]
    assert titles[0].startswith("Сделка 1: ") and not any(w in t for t in titles for w in DEAL_KINDS)
    assert settings.get(c, "lost_reasons")[0] == "Цена"
    # the renames went through the search indexes' triggers: found by the new words, index intact
    assert search.search(c, titles[0], kinds=["deal"])[0]["name"] == titles[0]
    assert search.search(c, "Демонстрация", kinds=["activity"])
    c.execute("INSERT INTO activities_fts (activities_fts) VALUES ('integrity-check')")
    assert c.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_english_stays_the_default(tmp_path):
    c = connect(tmp_path / "en.db")
    seed(c, "tiny", 3, TODAY)
    pipelines, stages, _ = _words(c)
    assert pipelines == ["Sales", "Recruiting"] and stages[0] == "Lead"


def test_an_unknown_language_is_refused_before_anything_is_built(tmp_path, capsys):
    with pytest.raises(ValueError):
        seed(connect(tmp_path / "xx.db"), "tiny", 3, TODAY, language="xx")
    with pytest.raises(SystemExit):
        main(["--scale", "tiny", "--path", str(tmp_path / "cli.db"), "--language", "de"])
    assert "invalid choice" in capsys.readouterr().err and not (tmp_path / "cli.db").exists()
