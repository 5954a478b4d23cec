"""The floor of `z360-ecs check beta` from process start: the same work with nothing of ours in it.

`python bench/floor_check.py STACK_FILE MODULES_FILE` does what the check command does, from a
fresh interpreter to exit, with the parts that are ours replaced by their floors: it starts the
no-op pack (bench/noop_pack) in its own process, imports the provider modules the real program
imports (MODULES_FILE, one a line: the price of pulumi_aws's classes is the provider's, not
ours), runs the floor program (bench/floor: one plain resource per resource of beta, with the
same inputs; STACK_FILE names its shapes) under the same mock engine runner, as a command runs
it (`last_in_process`), sends every resource to the pack as it registers (LiveAnalysis),
then AnalyzeStack, and exits.
bench/run.py times it beside the check itself.
"""

from __future__ import annotations

import gc
import importlib
import sys
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
PROJECT_DIR = BENCH_DIR.parent
if str(PROJECT_DIR) not in sys.path:
    sys.path.insert(0, str(PROJECT_DIR))


def main(stack_file: Path, modules_file: Path) -> int:
    from z360_ecs.engine.analyzer import PACK_DIR, LiveAnalysis, PolicyPackProcess, pack_python
    from z360_ecs.engine.program import rare_full_collections, run_program

    with rare_full_collections(), PolicyPackProcess(
            BENCH_DIR / "noop_pack", pack_python(PACK_DIR)[0], connect=False) as pack, \
            LiveAnalysis(pack) as analysis:
        # The check imports these inside the program's construction, which a command runs with
        # the collector off and then freezes (z360_ecs/engine/program.py, _collector_off): the
        # floor's imports are treated alike.
        gc.disable()
        for module in modules_file.read_text().split():
            importlib.import_module(module)
        gc.freeze()
        gc.enable()

        run = run_program("floor", project_dir=BENCH_DIR / "floor", stack_file=stack_file,
                          echo_notes=False, last_in_process=True, observer=analysis)
        analysis.findings(run)
    return 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1]), Path(sys.argv[2])))
