from tests.apptest import page


def test_leaderboard_page_lists_every_active_person(seeded):
    from db.core.connection import connect

    people = connect(seeded[0]).execute("SELECT COUNT(*) FROM users WHERE active = 1").fetchone()[0]
    at = page("pages/leaderboard.py", seeded[0], "rep")
    at.run()
    assert not at.exception
    assert len(at.dataframe[0].value) == people
