"""IPython extension loaded into every python kernel the runtime starts.

It gives results the shapes E2B's own sandbox gives them: `json` for dicts and lists,
`data` for DataFrames, `chart` next to the `png` of a matplotlib figure, PIL images
shown as results (`Image.show()`, and `Image.save(path)` as E2B's template does), plain
tracebacks, untruncated sequences, and `input()` that fails at once (there is no stdin).
Loaded with `--IPKernelApp.extensions=[...]`, so the user's namespace stays empty.

It runs inside the sandbox's own Python environment, where the workbench is not installed:
the runtime copies this file there as the module `e2b_workbench_ipython` (sandboxenv.support),
so it imports nothing from `tui` — only the standard library, IPython, traitlets, and
(when present) PIL, pandas, matplotlib and e2b_charts.
"""

from __future__ import annotations

import contextlib
import json
import math
import sys
from collections.abc import Callable
from typing import Any

DATA_MIME = "application/vnd.e2b.data+json"
CHART_MIME = "application/vnd.e2b.chart+json"


def _json_safe(value: Any) -> Any:
    if isinstance(value, float) and (math.isnan(value) or math.isinf(value)):
        return None
    return value


def dataframe_to_data(df: Any) -> dict:
    """A DataFrame as {column: [values]}, timestamps as ISO strings, NaN as null."""
    split = json.loads(df.to_json(orient="split", date_format="iso", default_handler=str))
    columns = [str(c) for c in split.get("columns", [])]
    rows = split.get("data", [])
    return {col: [_json_safe(row[i]) for row in rows] for i, col in enumerate(columns)}


def figure_to_chart(fig: Any) -> dict:
    import warnings

    from e2b_charts import chart_figure_to_dict

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the extractor's warnings are not the user's output
            return json.loads(json.dumps(chart_figure_to_dict(fig), default=_plain))
    except Exception:  # a chart we cannot read is simply not offered
        return {}


def _plain(value: Any) -> Any:
    """numpy scalars and arrays as plain JSON values."""
    if hasattr(value, "tolist"):
        return value.tolist()
    return str(value)


def _strict_json(value: Any) -> Any:
    """`json` only for values that are JSON through and through (no repr fallbacks)."""
    try:
        return json.loads(json.dumps(value, allow_nan=False))
    except (TypeError, ValueError):
        return None


def drain_fd_output() -> None:
    """Wait until output written to fd 1/2 (os.system, C code) has reached the stream.

    ipykernel forwards fd output from a pipe on a thread; without this, what is still
    in the pipe when the cell ends is published after the run is over and lost.
    """
    import fcntl
    import struct
    import termios
    import time

    for stream in (sys.stdout, sys.stderr):
        fid = getattr(stream, "_fid", None)
        if fid is None:
            continue
        deadline = time.monotonic() + 0.5
        waited = False
        try:
            while time.monotonic() < deadline:
                pending = struct.unpack("i", fcntl.ioctl(fid, termios.FIONREAD, b"\0\0\0\0"))[0]
                if not pending:
                    break
                waited = True
                time.sleep(0.002)
        except OSError:
            continue
        if waited:  # the reader thread just took the last bytes: let it write them, then flush
            time.sleep(0.002)
            stream.flush()


def safe_packer(default: Callable[[Any], bytes]) -> Callable[[Any], bytes]:
    """A message packer that never loses a message to text it cannot encode.

    jupyter_client's packer encodes with `surrogateescape`: `print('\\udcff')` goes out as a
    raw 0xff byte (the runtime shows U+FFFD), but any other lone surrogate (`'\\ud800'`)
    raises, and the whole chunk of output around it was lost. Those are sent as JSON
    escapes instead; the runtime replaces them visibly.
    """

    def pack(obj: Any) -> bytes:
        try:
            return default(obj)
        except ValueError:  # UnicodeEncodeError
            return json.dumps(obj, default=str, ensure_ascii=True, allow_nan=False).encode("ascii")

    return pack


def whole_characters(stream: Any) -> bool:
    """Swap ipykernel's fd watcher for one that never splits a character.

    ipykernel forwards what is written to fd 1/2 (os.system, subprocesses, C code) from a
    pipe, decoding each 1000-byte read on its own: a UTF-8 character that straddles two
    reads became two U+FFFD (12 of them in 3000 'é'). This watcher decodes incrementally.
    The old thread is stopped the way ipykernel's own close() stops it. False when the
    stream has no fd watcher (or it would not stop), and nothing changed.
    """
    import os
    import threading

    fid = getattr(stream, "_fid", None)
    old = getattr(stream, "watch_fd_thread", None)
    if fid is None or old is None or not old.is_alive() or not getattr(stream, "_should_watch", False):
        return False
    stream._should_watch = False
    os.write(stream._original_stdstream_fd, b"\0")  # wakes it; it exits without forwarding this
    old.join(2.0)
    stream._should_watch = True
    if old.is_alive():
        return False
    thread = threading.Thread(target=_watch_fd, args=(stream, fid), name=old.name, daemon=True)
    stream.watch_fd_thread = thread
    thread.start()
    return True


def _watch_fd(stream: Any, fid: int) -> None:
    import codecs
    import os
    import threading

    # ipykernel 6.29 (E2B's pin) ties a thread started on the kernel's thread to the parent
    # header of that moment (none, at start-up): output would go to no cell. Like ipykernel's
    # own watcher, this one follows the cell that runs now.
    me = threading.get_ident()
    for table in ("_thread_to_parent_header", "_thread_to_parent"):
        getattr(stream, table, {}).pop(me, None)

    decoder = codecs.getincrementaldecoder("utf-8")("replace")
    try:
        while True:
            data = os.read(fid, 65536)
            if not data or not stream._should_watch:
                return
            text = decoder.decode(data)
            if text:
                stream.write(text)
            os.write(stream._original_stdstream_copy, data)  # the kernel's own log, as before
    except Exception:
        stream._exc = sys.exc_info()


def _no_stdin(*_args: Any, **_kwargs: Any) -> str:
    raise RuntimeError(
        "input() is not supported: code runs without a terminal (no stdin). "
        "Pass values in the code or through env vars instead."
    )


def _no_tee(channel: str) -> contextlib.AbstractContextManager[None]:
    """IPython 9's `InteractiveShell._tee(channel)`, recording nothing."""
    return contextlib.nullcontext()


def load_ipython_extension(ip: Any) -> None:
    session = getattr(getattr(ip, "kernel", None), "session", None)
    if session is not None:  # shared by the shell and the output streams' thread
        session.pack = safe_packer(session.pack)

    # IPython 9 keeps each cell's stdout and stderr in `history_manager.outputs` by growing
    # one string per stream on every write (`bundle["stream"] += data`), which is quadratic:
    # 400k printed lines took 49 s instead of about 7, a million did not finish in 10 minutes
    # (E2B's template, on the same IPython, has it too). Nothing reads that record here (the
    # history database is off), so cells run without it.
    if callable(getattr(ip, "_tee", None)):
        ip._tee = _no_tee

    formatters = ip.display_formatter.formatters
    plain = formatters["text/plain"]
    plain.max_seq_length = 0  # never abbreviate long lists with '...'

    json_formatter = formatters["application/json"]
    json_formatter.for_type(dict, _strict_json)
    json_formatter.for_type(list, _strict_json)

    from IPython.core.formatters import BaseFormatter
    from traitlets import ObjectName, Unicode

    # These decide by isinstance at call time instead of the type registry: matplotlib's
    # inline backend pops Figure from every formatter's registry when it activates.
    class DataFormatter(BaseFormatter):
        format_type = Unicode(DATA_MIME)
        print_method = ObjectName("_repr_e2b_data_")

        def __call__(self, obj: Any) -> dict | None:
            pandas = sys.modules.get("pandas")
            if pandas is not None and isinstance(obj, pandas.DataFrame):
                try:
                    return dataframe_to_data(obj)
                except Exception:
                    return None
            return None

    class ChartFormatter(BaseFormatter):
        format_type = Unicode(CHART_MIME)
        print_method = ObjectName("_repr_e2b_chart_")

        def __call__(self, obj: Any) -> dict | None:
            figure = sys.modules.get("matplotlib.figure")
            if figure is not None and isinstance(obj, figure.Figure):
                return figure_to_chart(obj)
            return None

    formatters[DATA_MIME] = DataFormatter(parent=ip.display_formatter)
    formatters[CHART_MIME] = ChartFormatter(parent=ip.display_formatter)

    for stream in (sys.stdout, sys.stderr):
        whole_characters(stream)
    ip.events.register("post_execute", drain_fd_output)

    # input() has no terminal to read from: fail fast with a sentence, never hang.
    # ipykernel swaps builtins.input before each cell; pre_run_cell comes after it.
    import builtins
    import getpass

    def _install_no_stdin(*_args: Any) -> None:
        builtins.input = _no_stdin
        getpass.getpass = _no_stdin

    ip.events.register("pre_run_cell", _install_no_stdin)

    try:  # PIL's Image.show() would open a viewer; show it as a result instead
        from IPython.display import display
        from PIL import Image

        Image.Image.show = lambda self, *a, **k: display(self)  # type: ignore[method-assign]
        Image.Image.save = _displaying_save(Image.Image.save, display)  # type: ignore[method-assign]
    except Exception:
        pass


def _displaying_save(save: Any, display: Any) -> Any:
    """`Image.save(path)` that also shows the image as a result, as E2B's template does.

    Only for a path: a save into a file object is how PIL renders the image for display
    itself (`_repr_png_`), and a failure to show never fails the save.
    """
    import functools
    import os

    @functools.wraps(save)
    def displaying_save(self: Any, fp: Any, *args: Any, **kwargs: Any) -> Any:
        result = save(self, fp, *args, **kwargs)
        if isinstance(fp, (str, bytes, os.PathLike)):
            try:
                display(self)
            except Exception:
                pass
        return result

    return displaying_save
