"""The `run_code` tool an LLM calls: its definition, reading calls, validation, execution, result.

A model calls `run_code` with one `code` string and an optional `language`; the program
runs it in a sandbox (any SDK `Sandbox` or `AsyncSandbox`: local runtime or E2B cloud)
and sends back the JSON `execute_tool_call` returns. Nothing here raises for a bad call:
every problem becomes a result with `status: "invalid"` the model can read and fix.

Decisions worth knowing:
- Calls are accepted as bare arguments (`{"code": ..., "language": ...}`), OpenAI tool
  calls (arguments as a JSON string or an object), OpenAI Responses `function_call`
  items, Anthropic `tool_use` blocks, whole assistant messages, and lists of these.
- Unknown argument keys are accepted and ignored, and each is named in `warnings`
  (models add stray keys; refusing them would waste a turn). Language aliases
  (`py`, `js`, `node`, `sh`...) are mapped with a warning too.
- The result always has the same keys; `tool_call_id` (when the call had an id),
  `truncated` and `warnings` appear only when they say something.
- Images (png, jpeg, svg) are saved to files and referenced by path, never inlined.
  Long text is cut to its first and last characters around a marker, and the whole
  text is kept in a file whose path the result gives. A file that cannot be written
  becomes a warning in the result, never an exception.
- stdout, stderr and the error read as a terminal would show them: ANSI escapes and
  other control characters removed, and a line rewritten with `\r` (a progress bar)
  kept as its final state only, so a model does not pay for every frame.
"""

from __future__ import annotations

import json
import re
import secrets
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from e2b.exceptions import TimeoutException
from e2b_code_interpreter import AsyncSandbox, Sandbox
from e2b_code_interpreter.constants import DEFAULT_TIMEOUT
from e2b_code_interpreter.models import Context, Execution, ExecutionError, OutputMessage, Result

from ..runtime.languages import LANGUAGES
from . import paths
from .charts import chart_summary
from .deadline import run_code_within
from .extract import TAG_LANGUAGES, runnable_blocks
from .saving import IMAGE_FORMATS, ImageSaver, write_file
from .session import explain

TOOL_NAME = "run_code"
DEFAULT_LANGUAGE = "python"
SCHEMA_FORMATS = ("openai", "anthropic", "json")
REPLY_FORMATS = ("result", "openai", "anthropic")

TOOL_DESCRIPTION = (
    "Run code in a stateful sandbox and get back what it printed and returned. Each language keeps "
    "its own session, like a notebook: variables, imports, functions and files persist between calls. "
    "The value of the last expression is returned as the result (as in a Jupyter cell); print anything "
    "else you want to see. Charts and images are saved to files and you get their paths and a summary, "
    "not the pixels. The result is JSON with: status (ok, error, timeout, failed, invalid), stdout, "
    "stderr, text (the main result), results, error (name, value, traceback), execution_count and "
    "duration_s. Long output is truncated in the middle."
)
CODE_DESCRIPTION = (
    "The code to run: one or more complete statements. The last expression's value is returned as "
    "the result. There is no stdin: do not call input()."
)
LANGUAGE_DESCRIPTION = "The language of the code (default: python). Each language has its own state."


def languages_for(mode: str) -> list[str]:
    """The languages a tool definition offers: what is installed here (local) or all six (cloud)."""
    if mode == "local":
        from ..runtime.languages import available_languages

        return available_languages()
    return list(LANGUAGES)


def _default_language(languages: Sequence[str]) -> str:
    return DEFAULT_LANGUAGE if DEFAULT_LANGUAGE in languages or not languages else languages[0]


def input_schema(languages: Sequence[str] | None = None) -> dict[str, Any]:
    """The JSON Schema of the tool's arguments: `code` (required) and `language` (an enum)."""
    languages = list(LANGUAGES if languages is None else languages)
    return {
        "type": "object",
        "properties": {
            "code": {"type": "string", "description": CODE_DESCRIPTION},
            "language": {
                "type": "string",
                "enum": languages,
                "default": _default_language(languages),
                "description": LANGUAGE_DESCRIPTION,
            },
        },
        "required": ["code"],
        "additionalProperties": False,
    }


def tool_definition(fmt: str = "openai", languages: Sequence[str] | None = None) -> dict[str, Any]:
    """The tool as an LLM API takes it: `openai` (function tool), `anthropic`, or plain `json` Schema."""
    schema = input_schema(languages)
    if fmt == "openai":
        return {
            "type": "function",
            "function": {"name": TOOL_NAME, "description": TOOL_DESCRIPTION, "parameters": schema},
        }
    if fmt == "anthropic":
        return {"name": TOOL_NAME, "description": TOOL_DESCRIPTION, "input_schema": schema}
    if fmt == "json":
        return {
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "title": TOOL_NAME,
            "description": TOOL_DESCRIPTION,
            **schema,
        }
    raise ValueError(f"Unknown schema format {fmt!r}: use one of {', '.join(SCHEMA_FORMATS)}.")


# ---------------------------------------------------------------------------
# Reading tool calls


class ToolInputError(ValueError):
    """Input that holds no tool call at all (not JSON, no call, no code block)."""


@dataclass
class ToolCall:
    """One call as a model made it; `arguments` is whatever arrived (object, JSON string...)."""

    arguments: Any
    name: str = TOOL_NAME
    id: str | None = None
    source: str = "arguments"  # how it was found: "openai tool call", "code block 2 (line 5)"...
    warnings: list[str] = field(default_factory=list)


_CALL_TYPES = ("function", "tool_use", "function_call")
_ARGUMENT_KEYS = ("arguments", "input", "parameters")


def _call_id(value: Any) -> str | None:
    return None if value in (None, "") else str(value)


def calls_in(item: Any) -> list[ToolCall]:
    """The calls in parsed JSON (a call, its arguments, a message, or a list of them); [] when
    it holds none (a text-only message); ToolInputError when it is not an object or array."""
    if isinstance(item, list):
        return [call for element in item for call in calls_in(element)]
    if not isinstance(item, dict):
        raise ToolInputError(
            f"Expected a tool call, its arguments, or a list of them; got {_a_json_type(item)}."
        )
    kind = item.get("type")
    if isinstance(item.get("choices"), list):  # an OpenAI chat completion
        return calls_in([c.get("message") for c in item["choices"] if isinstance(c, dict)])
    if isinstance(item.get("tool_calls"), list):  # an OpenAI assistant message
        return calls_in(item["tool_calls"])
    if kind == "tool_use":  # an Anthropic content block
        return [ToolCall(item.get("input"), str(item.get("name", "")), _call_id(item.get("id")), "tool_use")]
    if kind == "function_call":  # an OpenAI Responses output item
        call_id = _call_id(item.get("call_id")) or _call_id(item.get("id"))
        return [ToolCall(item.get("arguments"), str(item.get("name", "")), call_id, "function_call")]
    if isinstance(item.get("function"), dict):  # an OpenAI chat tool call
        function = item["function"]
        name = str(function.get("name", ""))
        return [ToolCall(function.get("arguments"), name, _call_id(item.get("id")), "openai tool call")]
    if "name" in item and any(key in item for key in _ARGUMENT_KEYS) and "code" not in item:
        # a bare function call: {"name", "arguments"}, or Llama's {"name", "parameters"}
        arguments = next(item[key] for key in _ARGUMENT_KEYS if key in item)
        return [ToolCall(arguments, str(item["name"]), _call_id(item.get("id")), "function call")]
    if "code" not in item and (isinstance(item.get("content"), list) or isinstance(item.get("output"), list)):
        # an Anthropic message, or an OpenAI Responses response: the calls among its blocks
        return calls_in(item.get("content") if isinstance(item.get("content"), list) else item["output"])
    if kind is not None and kind not in _CALL_TYPES and "code" not in item:
        return []  # a text, thinking or reasoning block: not a call
    if item.get("role") is not None and "code" not in item:
        return []  # a message without tool calls
    return [ToolCall(item)]


def _reply_text(item: Any) -> str:
    """The text of a model reply given as JSON (for code-block extraction when it has no calls)."""
    if isinstance(item, str):
        return item
    if isinstance(item, list):
        return "\n\n".join(text for element in item if (text := _reply_text(element)))
    if not isinstance(item, dict):
        return ""
    if isinstance(item.get("choices"), list):
        return _reply_text([c.get("message") for c in item["choices"] if isinstance(c, dict)])
    if item.get("type") in ("text", "output_text") and isinstance(item.get("text"), str):
        return item["text"]
    for key in ("content", "output"):
        if isinstance(item.get(key), (str, list)):
            return _reply_text(item[key])
    return ""


def parse_tool_calls(payload: Any) -> list[ToolCall]:
    """The calls in `payload` (a JSON string or parsed JSON); ToolInputError if it is not JSON."""
    if isinstance(payload, (str, bytes)):
        try:
            payload = json.loads(payload)
        except json.JSONDecodeError as err:
            raise ToolInputError(f"The input is not JSON: {err}.") from err
    return calls_in(payload)


def calls_from_markdown(markdown: str, default_language: str | None = DEFAULT_LANGUAGE) -> list[ToolCall]:
    """A call per runnable fenced block of a model's reply (the fallback when it made no tool call)."""
    calls = []
    for number, block in enumerate(runnable_blocks(markdown, default_language), 1):
        fence = f"```{block.tag}" if block.tag else "untagged"
        call = ToolCall(
            {"code": block.code, "language": block.language},
            source=f"code block {number} ({fence}, line {block.line})",
        )
        if not block.closed:
            call.warnings.append("The code block was not closed: the reply may have been cut off.")
        calls.append(call)
    return calls


def read_calls(text: str, default_language: str | None = DEFAULT_LANGUAGE) -> tuple[list[ToolCall], str]:
    """The calls in pasted text: tool calls when it is JSON that holds some, else the code
    blocks of the reply (markdown, or the text of a JSON message). Returns (calls, "tool calls"
    or "code blocks"); ToolInputError when there is nothing to run."""
    if not text.strip():
        raise ToolInputError("The input is empty.")
    markdown = text
    try:
        payload = json.loads(text)
    except json.JSONDecodeError:
        payload = None
    if isinstance(payload, (dict, list)):
        calls = calls_in(payload)
        if calls:
            return calls, "tool calls"
        markdown = _reply_text(payload)
    elif isinstance(payload, str):  # a reply given as a JSON string: its text is the reply
        markdown = payload
    calls = calls_from_markdown(markdown, default_language)
    if not calls:
        raise ToolInputError("No tool call and no runnable code block found in the input.")
    return calls, "code blocks"


# ---------------------------------------------------------------------------
# Validation


class InvalidArguments(ValueError):
    """A call the tool cannot run; the message is meant for the model."""


@dataclass
class ValidCall:
    """A call that passed validation: the code to run, its runtime language, what to tell the model."""

    code: str
    language: str
    id: str | None
    warnings: list[str]


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    return type(value).__name__


def _a_json_type(value: Any) -> str:
    kind = _json_type(value)
    return kind if kind == "null" else f"{'an' if kind[0] in 'aeiou' else 'a'} {kind}"


def normalize_tool_language(value: Any, languages: Sequence[str], warnings: list[str]) -> str:
    """The runtime language a model asked for; InvalidArguments when there is none such here."""
    if value is None or value == "":
        return _default_language(languages)
    if not isinstance(value, str):
        raise InvalidArguments(f"`language` must be a string, got {_a_json_type(value)}.")
    key = value.strip().lower()
    language = key if key in LANGUAGES else TAG_LANGUAGES.get(key)
    if language is None:
        raise InvalidArguments(f"Unknown language {value!r}: use one of {', '.join(languages)}.")
    if language != value:
        warnings.append(f"language {value!r} was taken as {language!r}.")
    if language not in languages:
        raise InvalidArguments(
            f"{language} is not available in this sandbox: use one of {', '.join(languages)}."
        )
    return language


def validate_call(call: ToolCall, languages: Sequence[str] | None = None) -> ValidCall:
    """Check a call's name and arguments; InvalidArguments says what is wrong."""
    languages = list(LANGUAGES if languages is None else languages)
    if not call.name:
        raise InvalidArguments(f"The call names no tool: call {TOOL_NAME!r}.")
    if call.name != TOOL_NAME:
        raise InvalidArguments(f"Unknown tool {call.name!r}: the only tool here is {TOOL_NAME!r}.")
    arguments = call.arguments
    if isinstance(arguments, (str, bytes)):
        if not arguments.strip():
            arguments = {}
        else:
            try:
                arguments = json.loads(arguments)
            except json.JSONDecodeError as err:
                raise InvalidArguments(f"The arguments are not valid JSON: {err}.") from err
    if arguments is None:
        arguments = {}
    if not isinstance(arguments, dict):
        raise InvalidArguments(
            f"The arguments must be a JSON object with a `code` string, got {_a_json_type(arguments)}."
        )
    warnings = list(call.warnings)
    if "code" not in arguments:
        raise InvalidArguments("Missing the required argument `code` (the code to run).")
    code = arguments["code"]
    if not isinstance(code, str):
        raise InvalidArguments(f"`code` must be a string, got {_a_json_type(code)}.")
    if not code.strip():
        raise InvalidArguments("`code` is empty: there is nothing to run.")
    language = normalize_tool_language(arguments.get("language"), languages, warnings)
    extra = sorted(str(key) for key in arguments if key not in ("code", "language"))
    if extra:
        warnings.append(f"Ignored unknown argument{'s' if len(extra) > 1 else ''}: {', '.join(extra)}.")
    return ValidCall(code, language, call.id, warnings)


# ---------------------------------------------------------------------------
# Results


@dataclass
class ToolLimits:
    """How much of a run goes back to the model, where the rest is kept, how long a run may take."""

    max_output_chars: int = 20_000  # stdout, stderr and the traceback, each
    max_result_chars: int = 10_000  # each text field of a result (text, markdown, html, json)
    output_dir: Path | None = None  # images and full outputs; default: the user cache dir
    timeout: float | None = None  # seconds per run; None: the SDK's default (300 s); 0: no limit

    def __post_init__(self) -> None:
        for name in ("max_output_chars", "max_result_chars", "timeout"):
            value = getattr(self, name)
            if value is not None and value < 0:
                raise ValueError(f"{name} must be 0 or more, got {value}.")

    def folder(self) -> Path:
        """Where images and full outputs are written."""
        return Path(self.output_dir) if self.output_dir else paths.cache_dir() / "tool-outputs"


def _new_run_id() -> str:
    return f"{time.strftime('%Y%m%d-%H%M%S')}-{secrets.token_hex(3)}"


class _Clipper:
    """Cuts long text to its head and tail and keeps the whole text in a file."""

    def __init__(self, limits: ToolLimits, run_id: str, warnings: list[str]):
        self.limits = limits
        self.run_id = run_id
        self.warnings = warnings
        self.truncated: dict[str, dict[str, Any]] = {}

    def clip(self, text: str, name: str, limit: int) -> str:
        """`text`, or its first and last `limit` characters around a marker naming the full copy."""
        if len(text) <= limit:
            return text
        head = limit // 2
        tail = limit - head
        omitted = len(text) - head - tail
        try:
            path = paths.ensure(self.limits.folder()) / f"{self.run_id}-{name}.txt"
            write_file(path, text.encode("utf-8", errors="replace"))
        except OSError as err:
            self.truncated[name] = {"chars": len(text), "path": None}
            self.warnings.append(f"The full {name} could not be saved: {err}.")
            where = "it could not be saved"
        else:
            self.truncated[name] = {"chars": len(text), "path": str(path)}
            where = f"the full {name} is in {path}"
        marker = f"\n[... {omitted} characters truncated; {where} ...]\n"
        return text[:head] + marker + (text[-tail:] if tail else "")


_ESCAPE = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]"  # CSI: colours, cursor moves, erase line
    r"|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?"  # OSC: titles, hyperlinks
    r"|\x1b[@-Z\\-_]"  # other two-character escapes
    r"|\x9b[0-?]*[ -/]*[@-~]"  # 8-bit CSI
)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def terminal_text(text: str) -> str:
    """`text` as a terminal shows it, for a model to read: escape sequences and control
    characters removed, and each line rewritten with `\r` reduced to what it finally shows."""
    if not text:
        return text
    text = _ESCAPE.sub("", text).replace("\r\n", "\n")
    if "\r" in text:
        text = "\n".join(_overwrite(line) for line in text.split("\n"))
    return _CONTROL.sub("", text)


def _overwrite(line: str) -> str:
    """What a terminal line shows after carriage returns: each part overwrites the start."""
    shown = ""
    for part in line.split("\r"):
        shown = part + shown[len(part) :]
    return shown


def _error_json(name: str, value: str, traceback: str = "") -> dict[str, str]:
    return {"name": name, "value": value, "traceback": traceback}


def _base_result(call_id: str | None, language: str | None) -> dict[str, Any]:
    result: dict[str, Any] = {}
    if call_id is not None:
        result["tool_call_id"] = call_id
    result.update(
        {
            "status": "ok",
            "language": language,
            "stdout": "",
            "stderr": "",
            "text": None,
            "results": [],
            "error": None,
            "execution_count": None,
            "duration_s": 0.0,
        }
    )
    return result


def invalid_result(call: ToolCall | None, message: str) -> dict[str, Any]:
    """The result for a call that could not run: status `invalid` and what to fix."""
    result = _base_result(call.id if call else None, None)
    result["status"] = "invalid"
    result["error"] = _error_json("InvalidArguments", message)
    if call is not None and call.warnings:
        result["warnings"] = list(call.warnings)
    return result


def is_error(result: dict[str, Any]) -> bool:
    """Whether a result reports a failure (the code raised, timed out, or could not run)."""
    return result.get("status") != "ok"


class _Run:
    """One execution in progress: collects what the SDK streams, then shapes the result."""

    def __init__(self, call: ValidCall, limits: ToolLimits):
        self.call = call
        self.limits = limits
        self.run_id = _new_run_id()
        self.stdout: list[str] = []
        self.stderr: list[str] = []
        self.results: list[Result] = []
        self.error: ExecutionError | None = None
        self.started = time.monotonic()

    def on_stdout(self, message: OutputMessage) -> None:
        self.stdout.append(message.line)

    def on_stderr(self, message: OutputMessage) -> None:
        self.stderr.append(message.line)

    def on_result(self, result: Result) -> None:
        self.results.append(result)

    def on_error(self, error: ExecutionError) -> None:
        self.error = error

    def kwargs(self, context: Context | None) -> dict[str, Any]:
        where: dict[str, Any] = (
            {"context": context} if context is not None else {"language": self.call.language}
        )
        return {
            **where,
            "on_stdout": self.on_stdout,
            "on_stderr": self.on_stderr,
            "on_result": self.on_result,
            "on_error": self.on_error,
            "timeout": self.limits.timeout,
        }

    def finish(self, execution: Execution | None, failure: BaseException | None = None) -> dict[str, Any]:
        duration = time.monotonic() - self.started
        limits = self.limits
        warnings = list(self.call.warnings)
        clipper = _Clipper(limits, self.run_id, warnings)
        result = _base_result(self.call.id, self.call.language)
        for stream, chunks in (("stdout", self.stdout), ("stderr", self.stderr)):
            result[stream] = clipper.clip(terminal_text("".join(chunks)), stream, limits.max_output_chars)
        saver = ImageSaver(limits.folder(), self.run_id)
        for index, item in enumerate(self.results, 1):
            entry = self._result_entry(item, index, clipper, saver, warnings)
            result["results"].append(entry)
            if item.is_main_result and item.text is not None and result["text"] is None:
                result["text"] = entry.get("text")
        if self.error is not None:
            result["status"] = "error"
            result["error"] = _error_json(
                self.error.name,
                clipper.clip(terminal_text(self.error.value or ""), "error", limits.max_result_chars),
                clipper.clip(terminal_text(self.error.traceback or ""), "traceback", limits.max_output_chars),
            )
        if failure is not None:
            result.update(_failure(failure, limits.timeout))
        result["execution_count"] = execution.execution_count if execution is not None else None
        result["duration_s"] = round(duration, 3)
        if clipper.truncated:
            result["truncated"] = clipper.truncated
        if warnings:
            result["warnings"] = warnings
        return result

    def _result_entry(
        self, item: Result, index: int, clipper: _Clipper, saver: ImageSaver, warnings: list[str]
    ) -> dict[str, Any]:
        """One result as the model sees it: its texts (clipped), image paths, chart summary."""
        limit = self.limits.max_result_chars
        entry: dict[str, Any] = {"formats": list(item.formats()), "is_main_result": bool(item.is_main_result)}
        if item.text is not None:
            entry["text"] = clipper.clip(item.text, f"result-{index}-text", limit)
        if item.markdown:
            entry["markdown"] = clipper.clip(item.markdown, f"result-{index}-markdown", limit)
        if item.json is not None:
            dumped = json.dumps(item.json, ensure_ascii=False)
            entry["json"] = (
                item.json if len(dumped) <= limit else clipper.clip(dumped, f"result-{index}-json", limit)
            )
        if item.latex:
            entry["latex"] = clipper.clip(item.latex, f"result-{index}-latex", limit)
        if item.html and not item.markdown and _says_nothing(item.text):
            entry["html"] = clipper.clip(item.html, f"result-{index}-html", limit)
        try:
            images = saver.save(item)
        except (OSError, ValueError) as err:  # an unwritable folder, or image data that is not base64
            formats = [name for name, _ in IMAGE_FORMATS if getattr(item, name, None)]
            warnings.append(f"The {', '.join(formats)} image of result {index} could not be saved: {err}.")
            images = []
        if images:
            entry["images"] = [{"format": path.suffix.lstrip("."), "path": str(path)} for path in images]
        if item.chart is not None:
            entry["chart"] = chart_summary(item.chart)
        return entry


_PLACEHOLDER = re.compile(r"<[\w.]+ object(?: at 0x[0-9a-fA-F]+)?>")


def _says_nothing(text: str | None) -> bool:
    """Whether a result's text is missing or only a placeholder like `<IPython.core.display.HTML object>`."""
    return text is None or _PLACEHOLDER.fullmatch(text.strip()) is not None


def _failure(err: BaseException, timeout: float | None) -> dict[str, Any]:
    if isinstance(err, TimeoutException):
        seconds = DEFAULT_TIMEOUT if timeout is None else timeout
        return {
            "status": "timeout",
            "error": _error_json(
                "TimeoutError",
                f"The run took longer than {seconds:g} s and was interrupted; the session keeps its state.",
            ),
        }
    return {"status": "failed", "error": _error_json(type(err).__name__, explain(err))}


def _prepare(call: ToolCall | Any, languages: Sequence[str] | None) -> ValidCall | dict[str, Any]:
    """A valid call, or the `invalid` result to send back instead."""
    if not isinstance(call, ToolCall):
        try:
            found = parse_tool_calls(call)
        except ToolInputError:
            found = [ToolCall(call)]  # validation says what is wrong with it
        if len(found) != 1:
            return invalid_result(None, f"Expected one tool call, got {len(found)}.")
        call = found[0]
    try:
        return validate_call(call, languages)
    except InvalidArguments as err:
        return invalid_result(call, str(err))


def execute_tool_call(
    sandbox: Sandbox,
    call: ToolCall | dict[str, Any] | str,
    *,
    languages: Sequence[str] | None = None,
    limits: ToolLimits | None = None,
    context: Context | None = None,
) -> dict[str, Any]:
    """Run one tool call (a ToolCall, its arguments, or a call object, as a dict or a JSON
    string) and return the JSON-ready result; never raises for a bad call or a failed run.

    `languages` are the ones the call may ask for (default: all six); `context` runs the
    code in that context instead of the language's default one. The timeout is the sync
    SDK's own, which fires late (see tui.core.deadline): `aexecute_tool_call` is exact.
    """
    prepared = _prepare(call, languages)
    if isinstance(prepared, dict):
        return prepared
    run = _Run(prepared, limits or ToolLimits())
    try:
        execution = sandbox.run_code(prepared.code, **run.kwargs(context))
    except Exception as err:
        return run.finish(None, err)
    return run.finish(execution)


async def aexecute_tool_call(
    sandbox: AsyncSandbox,
    call: ToolCall | dict[str, Any] | str,
    *,
    languages: Sequence[str] | None = None,
    limits: ToolLimits | None = None,
    context: Context | None = None,
) -> dict[str, Any]:
    """`execute_tool_call` for an `AsyncSandbox`; its timeout fires on time (see tui.core.deadline)."""
    prepared = _prepare(call, languages)
    if isinstance(prepared, dict):
        return prepared
    run = _Run(prepared, limits or ToolLimits())
    kwargs = run.kwargs(context)
    timeout = kwargs.pop("timeout")  # bounded here: the SDK's own timeout fires late (see deadline)
    try:
        execution = await run_code_within(sandbox, prepared.code, timeout, **kwargs)
    except Exception as err:
        return run.finish(None, err)
    return run.finish(execution)


def execute_tool_calls(
    sandbox: Sandbox,
    calls: Iterable[ToolCall],
    *,
    languages: Sequence[str] | None = None,
    limits: ToolLimits | None = None,
) -> list[dict[str, Any]]:
    """Run calls one after the other in the same sandbox (state carries over, as for a model)."""
    return [execute_tool_call(sandbox, call, languages=languages, limits=limits) for call in calls]


async def aexecute_tool_calls(
    sandbox: AsyncSandbox,
    calls: Iterable[ToolCall],
    *,
    languages: Sequence[str] | None = None,
    limits: ToolLimits | None = None,
) -> list[dict[str, Any]]:
    """`execute_tool_calls` for an `AsyncSandbox` (timeouts fire on time)."""
    return [await aexecute_tool_call(sandbox, call, languages=languages, limits=limits) for call in calls]


def tool_reply(result: dict[str, Any], fmt: str = "result") -> dict[str, Any]:
    """The message that carries a result back: the bare `result`, an OpenAI `tool` message,
    or an Anthropic `tool_result` block (the result JSON is their content)."""
    if fmt == "result":
        return result
    content = json.dumps(result, ensure_ascii=False)
    call_id = result.get("tool_call_id")
    if fmt == "openai":
        return {"role": "tool", "tool_call_id": call_id, "content": content}
    if fmt == "anthropic":
        return {
            "type": "tool_result",
            "tool_use_id": call_id,
            "content": content,
            "is_error": is_error(result),
        }
    raise ValueError(f"Unknown reply format {fmt!r}: use one of {', '.join(REPLY_FORMATS)}.")
