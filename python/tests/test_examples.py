"""The notebook example runs on the bundled sample and says what it should."""
import os
import runpy

from conftest import MODELS, ROOT


def test_sample_notebook_runs(capsys, monkeypatch):
    monkeypatch.chdir(ROOT)
    monkeypatch.setenv("VERBATIM_MODELS_DIR", str(MODELS))
    runpy.run_path(str(ROOT / "python" / "examples" / "sample_notebook.py"), run_name="__main__")
    out = capsys.readouterr().out
    assert "NPS +" in out or "NPS -" in out
    assert "report:" in out and os.path.basename("report.html") in out
