"""The README's Python examples are real: every ```pycon block runs as a doctest."""

import doctest
import os
import re

from conftest import ROOT


def test_readme_python_examples():
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```pycon\n(.*?)```", text, re.S)
    assert len(blocks) >= 4
    parser = doctest.DocTestParser()
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    # The blocks are one session, as a reader would type them.
    globs: dict = {}
    cwd = os.getcwd()
    os.chdir(ROOT)
    try:
        for i, block in enumerate(blocks):
            test = parser.get_doctest(block, globs, f"README block {i + 1}", "README.md", 0)
            runner.run(test, clear_globs=False)
            globs.update(test.globs)
    finally:
        os.chdir(cwd)
    result = runner.summarize(verbose=False)
    assert result.failed == 0, f"{result.failed} README examples failed (output above)"
    assert result.attempted >= 12
