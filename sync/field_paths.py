"""Where inside a mutation a problem lies, named the same way for every kind of problem.

A rejected mutation's ``details.fields`` maps a *path into the mutation* to its messages:
``observed_at``, ``fields.employees``, ``fields.location.lat``, ``answers.employees_now``,
``obstacles[0].group``, ``attachments[2]``. Schema errors arrive nested (marshmallow nests
dicts and numbers list items); :func:`flatten` gives them that one form, so a client
can show the message beside the question or field it names.
"""

import math

INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1


def join(base: str, key) -> str:
    if isinstance(key, int):
        return f"{base}[{key}]"
    return f"{base}.{key}" if base else str(key)


def flatten(messages, base: str = "") -> dict[str, list]:
    """``{"location": {"lat": [m]}, "attachments": {2: [m]}}`` → ``{"location.lat": [m],
    "attachments[2]": [m]}``. Keys that are already paths stay as they are."""
    if not isinstance(messages, dict):
        return {base or "mutation": messages if isinstance(messages, list) else [messages]}
    flat: dict[str, list] = {}
    for key, value in messages.items():
        path = join(base, int(key) if isinstance(key, str) and key.isdigit() else key)
        if isinstance(value, dict):
            flat.update(flatten(value, path))
        else:
            flat[path] = value if isinstance(value, list) else [value]
    return flat


def prefixed(messages: dict[str, list], prefix: str, names) -> dict[str, list]:
    """Put ``prefix`` before the paths that start with one of ``names`` (a unit's fields sit
    under ``fields`` in a unit mutation)."""
    def first(path: str) -> str:
        return path.split(".", 1)[0].split("[", 1)[0]

    return {(join(prefix, path) if first(path) in names else path): value for path, value in messages.items()}


def unstorable_numbers(value, base: str = "") -> dict[str, list]:
    """Paths of the numbers in ``value`` that no field can hold: integers beyond 64 bits,
    NaN and infinities (a device may send them; the push parser keeps them so that they
    reject only the mutation that carries them)."""
    found: dict[str, list] = {}
    pending = [(base, value)]
    while pending:  # iterative: a body may nest as deep as the parser allows
        path, item = pending.pop()
        if isinstance(item, bool):
            continue
        if isinstance(item, int) and not INT64_MIN <= item <= INT64_MAX:
            found[path or "mutation"] = ["Must be a number that fits in 64 bits "
                                         f"(between {INT64_MIN} and {INT64_MAX})."]
        elif isinstance(item, float) and not math.isfinite(item):
            found[path or "mutation"] = ["Must be a finite number (not NaN or infinity)."]
        elif isinstance(item, dict):
            pending.extend((join(path, k), v) for k, v in item.items())
        elif isinstance(item, list):
            pending.extend((join(path, i), v) for i, v in enumerate(item))
    return dict(sorted(found.items()))


def _finite_or_text(value):
    if isinstance(value, float) and not math.isfinite(value):
        return "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")
    return value


def json_safe(value):
    """``value`` with NaN and infinities written as the text ``"NaN"``, ``"Infinity"``: JSON
    has no such numbers, and a rejected mutation is kept, and served, as JSON."""
    root = [value]
    pending = [(root, 0)]
    while pending:  # iterative, like unstorable_numbers
        holder, key = pending.pop()
        item = holder[key]
        if isinstance(item, dict):
            holder[key] = copy = dict(item)
            pending.extend((copy, k) for k in copy)
        elif isinstance(item, list):
            holder[key] = copy = list(item)
            pending.extend((copy, i) for i in range(len(copy)))
        else:
            holder[key] = _finite_or_text(item)
    return root[0]
