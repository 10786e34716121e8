"""Build step: the wheel carries templates/ (e-mail and web, with static files) inside the package.

The source keeps templates/ at the top level; pipeline.resources.templates_dir() finds either place.
"""

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py


class BuildWithTemplates(build_py):
    def run(self) -> None:
        super().run()
        source = Path(__file__).resolve().parent / "templates"
        target = Path(self.build_lib) / "pipeline" / "templates"
        if source.is_dir() and not self.editable_mode:
            shutil.copytree(source, target, dirs_exist_ok=True)


setup(cmdclass={"build_py": BuildWithTemplates})
