"""Go time layouts (`2006-01-02T15:04:05Z07:00`) for expr's date() builtin and Time.Format.

Only what expr conditions plausibly use is supported: numeric and named months and weekdays,
12/24-hour clocks, fractional seconds, numeric zones and `Z`, zone abbreviations (read as
UTC offsets of zero, as Go does for unknown abbreviations). Parsing is a single left-to-right
scan, linear in the input.
"""

from __future__ import annotations

import datetime as dt

_MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September",
           "October", "November", "December"]  # fmt: skip
_DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]

# Longest first within each leading character, as Go's nextStdChunk decides.
_TOKENS = sorted(
    [
        "January", "Jan", "Monday", "Mon", "MST", "2006", "002", "01", "02", "03", "04", "05", "06",
        "15", "1", "2", "_2", "3", "4", "5", "PM", "pm",
        "-07:00:00", "-070000", "-07:00", "-0700", "-07", "Z07:00:00", "Z070000", "Z07:00", "Z0700", "Z07",
    ],
    key=len,
    reverse=True,
)  # fmt: skip

DEFAULT_LAYOUTS = (
    "2006-01-02",
    "15:04:05",
    "2006-01-02 15:04:05",
    "2006-01-02T15:04:05Z07:00",  # RFC3339
    "02 Jan 06 15:04 MST",  # RFC822
    "Monday, 02-Jan-06 15:04:05 MST",  # RFC850
    "Mon, 02 Jan 2006 15:04:05 MST",  # RFC1123
)


def _chunks(layout: str) -> list[tuple[str, str]]:
    """Split a layout into ("std", token) and ("lit", text) pieces."""
    out: list[tuple[str, str]] = []
    i = 0
    while i < len(layout):
        if layout[i] in ".," and i + 1 < len(layout) and layout[i + 1] in "09":
            j = i + 1
            while j < len(layout) and layout[j] == layout[i + 1]:
                j += 1
            if j >= len(layout) or not layout[j].isdigit():
                out.append(("std", layout[i:j]))
                i = j
                continue
        for token in _TOKENS:
            if layout.startswith(token, i):
                # "Jan"/"Mon" must not be the start of a longer lowercase word, as in Go
                if token in ("Jan", "Mon") and layout[i + 3 : i + 4].islower():
                    continue
                out.append(("std", token))
                i += len(token)
                break
        else:
            out.append(("lit", layout[i]))
            i += 1
    return out


class _Fail(Exception):
    pass


def _digits(text: str, pos: int, low: int, high: int) -> tuple[int, int]:
    end = pos
    while end < len(text) and end - pos < high and text[end].isdigit() and text[end].isascii():
        end += 1
    if end - pos < low:
        raise _Fail
    return int(text[pos:end]), end


def _name(text: str, pos: int, names: list[str], short: bool) -> tuple[int, int]:
    for index, full in enumerate(names):
        word = full[:3] if short else full
        if text[pos : pos + len(word)].lower() == word.lower():
            return index, pos + len(word)
    raise _Fail


def parse_layout(value: str, layout: str, tz: dt.tzinfo | None = None) -> dt.datetime:
    """time.Parse / ParseInLocation for a supported layout; raises ValueError."""
    year, month, day, hour, minute, second, micro = 1, 1, 1, 0, 0, 0, 0
    pm: bool | None = None
    zone: dt.tzinfo | None = None
    pos = 0
    for kind, token in _chunks(layout):
        try:
            if kind == "lit":
                if value[pos : pos + 1] != token:
                    raise _Fail
                pos += 1
                continue
            if token == "2006":
                year, pos = _digits(value, pos, 4, 4)
            elif token == "06":
                yy, pos = _digits(value, pos, 2, 2)
                year = yy + (1900 if yy >= 69 else 2000)
            elif token in ("01", "1"):
                month, pos = _digits(value, pos, 2 if token == "01" else 1, 2)
            elif token in ("Jan", "January"):
                index, pos = _name(value, pos, _MONTHS, token == "Jan")
                month = index + 1
            elif token in ("Mon", "Monday"):
                _, pos = _name(value, pos, _DAYS, token == "Mon")
            elif token in ("02", "2", "_2"):
                if token == "_2" and value[pos : pos + 1] == " ":
                    pos += 1
                day, pos = _digits(value, pos, 2 if token == "02" else 1, 2)
            elif token == "002":
                yday, pos = _digits(value, pos, 3, 3)
                month, day = 1, yday  # normalised below
            elif token in ("15", "03", "3"):
                hour, pos = _digits(value, pos, 2 if token == "03" else 1, 2)
            elif token in ("04", "4"):
                minute, pos = _digits(value, pos, 2 if token == "04" else 1, 2)
            elif token in ("05", "5"):
                second, pos = _digits(value, pos, 2 if token == "05" else 1, 2)
                # Go accepts a fraction after the seconds even when the layout has none
                if value[pos : pos + 1] in (".", ",") and value[pos + 1 : pos + 2].isdigit():
                    digits_end = pos + 1
                    while digits_end < len(value) and value[digits_end].isdigit():
                        digits_end += 1
                    micro = int((value[pos + 1 : digits_end] + "000000")[:6])
                    pos = digits_end
            elif token[0] in ".,":
                if value[pos : pos + 1] not in (".", ","):
                    if token[1] == "9":
                        continue
                    raise _Fail
                digits_end = pos + 1
                while digits_end < len(value) and value[digits_end].isdigit():
                    digits_end += 1
                micro = int((value[pos + 1 : digits_end] + "000000")[:6])
                pos = digits_end
            elif token in ("PM", "pm"):
                word = value[pos : pos + 2].upper()
                if word not in ("AM", "PM"):
                    raise _Fail
                pm = word == "PM"
                pos += 2
            elif token == "MST":
                end = pos
                while end < len(value) and value[end].isalpha() and value[end].isupper():
                    end += 1
                if end - pos < 3:
                    raise _Fail
                pos = end
                zone = zone or dt.timezone.utc
            else:  # numeric zones
                if token.startswith("Z") and value[pos : pos + 1] == "Z":
                    zone = dt.timezone.utc
                    pos += 1
                    continue
                sign = value[pos : pos + 1]
                if sign not in ("+", "-"):
                    raise _Fail
                pos += 1
                hh, pos = _digits(value, pos, 2, 2)
                mm = ss = 0
                rest = token.lstrip("Z-")[2:]
                if rest:
                    if rest.startswith(":"):
                        if value[pos : pos + 1] != ":":
                            raise _Fail
                        pos += 1
                    mm, pos = _digits(value, pos, 2, 2)
                    if len(rest.replace(":", "")) > 2:
                        if rest.count(":") == 2:
                            if value[pos : pos + 1] != ":":
                                raise _Fail
                            pos += 1
                        ss, pos = _digits(value, pos, 2, 2)
                offset = dt.timedelta(hours=hh, minutes=mm, seconds=ss)
                zone = dt.timezone(-offset if sign == "-" else offset)
        except _Fail:
            raise ValueError(f'parsing time "{value}" as "{layout}": cannot parse "{value[pos:]}" as "{token}"') from None
    if pos != len(value):
        raise ValueError(f'parsing time "{value}": extra text: "{value[pos:]}"')
    if pm is not None:
        if hour > 12:
            raise ValueError(f'parsing time "{value}": hour out of range')
        hour = (hour % 12) + (12 if pm else 0)
    try:
        if month == 1 and day > 31:  # a year day from "002"
            moment = dt.datetime(year, 1, 1) + dt.timedelta(days=day - 1)
            year, month, day = moment.year, moment.month, moment.day
        result = dt.datetime(year, month, day, hour, minute, second, micro)
    except ValueError as exc:
        raise ValueError(f'parsing time "{value}": {exc}') from None
    return result.replace(tzinfo=zone or tz or dt.timezone.utc)


def format_layout(t: dt.datetime, layout: str) -> str:
    """Time.Format for a supported layout."""
    out: list[str] = []
    for kind, token in _chunks(layout):
        if kind == "lit":
            out.append(token)
        elif token == "2006":
            out.append(f"{t.year:04d}")
        elif token == "06":
            out.append(f"{t.year % 100:02d}")
        elif token == "01":
            out.append(f"{t.month:02d}")
        elif token == "1":
            out.append(str(t.month))
        elif token in ("Jan", "January"):
            out.append(_MONTHS[t.month - 1][: 3 if token == "Jan" else None])
        elif token in ("Mon", "Monday"):
            out.append(_DAYS[t.weekday()][: 3 if token == "Mon" else None])
        elif token == "02":
            out.append(f"{t.day:02d}")
        elif token == "2":
            out.append(str(t.day))
        elif token == "_2":
            out.append(f"{t.day:2d}")
        elif token == "002":
            out.append(f"{t.timetuple().tm_yday:03d}")
        elif token == "15":
            out.append(f"{t.hour:02d}")
        elif token in ("03", "3"):
            h = t.hour % 12 or 12
            out.append(f"{h:02d}" if token == "03" else str(h))
        elif token in ("04", "4"):
            out.append(f"{t.minute:02d}" if token == "04" else str(t.minute))
        elif token in ("05", "5"):
            out.append(f"{t.second:02d}" if token == "05" else str(t.second))
        elif token[0] in ".,":
            digits = f"{t.microsecond:06d}000"[: len(token) - 1]
            if token[1] == "9":
                digits = digits.rstrip("0")
                out.append(token[0] + digits if digits else "")
            else:
                out.append(token[0] + digits)
        elif token in ("PM", "pm"):
            word = "PM" if t.hour >= 12 else "AM"
            out.append(word if token == "PM" else word.lower())
        elif token == "MST":
            out.append(t.tzname() or "UTC")
        else:
            offset = t.utcoffset() or dt.timedelta(0)
            if token.startswith("Z") and offset == dt.timedelta(0):
                out.append("Z")
                continue
            total = int(offset.total_seconds())
            sign = "-" if total < 0 else "+"
            total = abs(total)
            hh, mm, ss = total // 3600, total % 3600 // 60, total % 60
            shape = token.lstrip("Z-")
            if shape == "07":
                out.append(f"{sign}{hh:02d}")
            elif shape == "0700":
                out.append(f"{sign}{hh:02d}{mm:02d}")
            elif shape == "07:00":
                out.append(f"{sign}{hh:02d}:{mm:02d}")
            elif shape == "070000":
                out.append(f"{sign}{hh:02d}{mm:02d}{ss:02d}")
            else:
                out.append(f"{sign}{hh:02d}:{mm:02d}:{ss:02d}")
    return "".join(out)
