"""Build hook: the extraction hot path (``extractors.compiled.COMPILED``) compiled to C with mypyc.

The modules are ordinary typed Python; mypyc turns them into C extensions that run the same code without the
interpreter loop (measured: about 1.6x the pure-Python extraction rate, see README "Speed"). Set
``MIRSAD_COMPILE=0`` to install pure Python. Without a C compiler the extensions are skipped (optional) and the
sources run. The build records each source's SHA-256 beside the extensions, so an edited source is never
shadowed by an old extension (see ``extractors/compiled.py``).
"""

from __future__ import annotations

import json
import os
import runpy
from pathlib import Path

from setuptools import setup
from setuptools.command.build_ext import build_ext

HERE = Path(__file__).resolve().parent
_compiled = runpy.run_path(str(HERE / "extractors" / "compiled.py"))  # not an import: no dependencies needed yet
COMPILED: tuple[str, ...] = _compiled["COMPILED"]
BUILD_STAMP: str = _compiled["BUILD_STAMP"]
GROUP: str = _compiled["GROUP"]


class BuildExtWithStamp(build_ext):
    """build_ext that writes ``extractors/compiled_from.json`` (module -> source SHA-256) next to the extensions."""

    def run(self) -> None:
        super().run()
        if not self.extensions:
            return
        built = [Path(self.get_ext_fullpath(ext.name)) for ext in self.extensions]
        if not all(path.exists() for path in built):  # an optional extension failed: no partial build
            for path in built:
                path.unlink(missing_ok=True)
            return
        target = (HERE if self.inplace else Path(self.build_lib)) / "extractors" / BUILD_STAMP
        stamp = {name: _compiled["source_digest"](name, HERE / "extractors") for name in COMPILED}
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(json.dumps(stamp, indent=1, sort_keys=True) + "\n", encoding="utf-8")

    def get_outputs(self) -> list[str]:
        outputs = super().get_outputs()
        if self.extensions:
            outputs.append(str(Path(self.build_lib) / "extractors" / BUILD_STAMP))
        return outputs


def ext_modules() -> list:
    if os.environ.get("MIRSAD_COMPILE", "1") == "0":
        return []
    from mypyc.build import mypycify

    paths = [str(_compiled["module_file"](name, ".py", Path("extractors"))) for name in COMPILED]
    exts = mypycify(paths, opt_level="3", debug_level="0", group_name=f"extractors.{GROUP}")
    for ext in exts:
        ext.optional = True  # no compiler: a warning, and the pure-Python modules run
    return exts


setup(ext_modules=ext_modules(), cmdclass={"build_ext": BuildExtWithStamp})
