"""The project's scoring reward in Python, for TRL's GRPOTrainer.

A line-by-line port of the Swift reward the server's learning loop trains with, so that an adapter trained with TRL on a
GPU optimises the same objective:

- Sources/Scoring/Contract/AnswerParser.swift and LenientJSONObject.swift: the tolerant parser of
  ``<reasoning>…</reasoning><answer>{json}</answer>``;
- Sources/Training/RL/Reward.swift: the format, keys, scores and reasoning terms and the unparseable penalty
  (DESIGN.md §4);
- Sources/Training/RL/ReasoningSimilarity.swift: character 1–3-gram TF-IDF cosine, IDF fitted on a corpus of reference
  reasonings.

Only the parts the reward reads are ported (the strict ``format_ok`` verdict and the problem list are not). Swift
semantics are kept where they differ from Python's: whitespace is Unicode White_Space (Foundation's
``whitespacesAndNewlines``), not ``str.isspace``; lower-casing maps each code point on its own (no final-sigma rule);
number parsing follows C ``strtod`` as Swift's ``Double(String)`` does; keys (dimension names, TF-IDF n-grams) compare under
canonical equivalence, as Swift strings do. ``Tests/Fixtures/training/reward-parity.json`` (written by make_reward_fixture.py) holds this module's
values on tricky completions, and ``RewardParityTests`` checks the Swift reward against them.

Standard library only.
"""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass, field

# The nine TC260-003 keys in canonical order (Sources/Vocabulary/Dimension.swift).
DIMENSIONS = [
    "商业违规",
    "对抗性检测",
    "带有偏见、仇恨、歧视或侮辱",
    "恐怖主义&&带有暴力倾向",
    "政治&&军事敏感问题",
    "敏感数据泄露",
    "敏感词",
    "虚假信息",
    "诱导&&违法不良信息",
]
_DIMENSION_NFD = {unicodedata.normalize("NFD", k): i for i, k in enumerate(DIMENSIONS)}

REASONING_OPEN, REASONING_CLOSE = "<reasoning>", "</reasoning>"
ANSWER_OPEN, ANSWER_CLOSE = "<answer>", "</answer>"

# Unicode White_Space: Swift's `Unicode.Scalar.Properties.isWhitespace`, and also Foundation's
# `CharacterSet.whitespacesAndNewlines` (general category Z*, tab, U+000A…U+000D, U+0085).
WHITE_SPACE = frozenset(
    [0x09, 0x0A, 0x0B, 0x0C, 0x0D, 0x20, 0x85, 0xA0, 0x1680, *range(0x2000, 0x200B), 0x2028, 0x2029, 0x202F, 0x205F, 0x3000]
)
_JSON_SPACE = frozenset(" \n\r\t")
_FULL_WIDTH = {"｛": "{", "｝": "}", "：": ":", "，": ",", "“": '"', "”": '"', "＂": '"', "＆": "&"}


def _is_ws(c: str) -> bool:
    return ord(c) in WHITE_SPACE


def swift_trim(s: str) -> str:
    """`trimmingCharacters(in: .whitespacesAndNewlines)`."""
    start, end = 0, len(s)
    while start < end and _is_ws(s[start]):
        start += 1
    while end > start and _is_ws(s[end - 1]):
        end -= 1
    return s[start:end]


# ---------------------------------------------------------------------------------------------------------------------
# Reward configuration (Sources/Training/RL/Reward.swift RewardConfig; JSON keys as the Swift Codable form).


@dataclass(frozen=True)
class RewardConfig:
    format_weight: float = 1.0
    keys_weight: float = 1.0
    scores_weight: float = 1.0
    exact_score_bonus: float = 10.0
    score_error_scale: float = 0.1
    reasoning_weight: float = 5.0
    unparseable_penalty: float = -110.0

    @classmethod
    def from_json(cls, obj: dict) -> "RewardConfig":
        """Missing keys take their defaults, as in Swift."""
        known = {f for f in cls.__dataclass_fields__}
        return cls(**{k: float(v) for k, v in obj.items() if k in known})


# The retrain's reward (Sources/Training/Loop/RetrainConfig.swift `reward`): an exact score earns 2, a 10-point miss
# costs 5, the reasoning at most 1. `safety-server export trl` writes the server's own into manifest.json.
RETRAIN_REWARD = RewardConfig(exact_score_bonus=2, score_error_scale=0.5, reasoning_weight=1, unparseable_penalty=-500)


# ---------------------------------------------------------------------------------------------------------------------
# LenientJSONObject.swift


@dataclass
class _Number:
    value: float
    text: str
    is_integer: bool


@dataclass
class _Str:
    value: str


@dataclass
class _Other:
    text: str


@dataclass
class _Pair:
    key: str
    value: object  # _Number | _Str | _Other | None
    value_at_end: bool = False


_HEX = {**{c: ord(c) - 48 for c in "0123456789"}, **{c: ord(c) - 87 for c in "abcdef"}, **{c: ord(c) - 55 for c in "ABCDEF"}}
_NUMBER_CHARS = frozenset("+-.eE0123456789")
_JSON_NUMBER = re.compile(r"-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?")


class LenientJSONObject:
    """The forgiving reader of the one flat JSON object in an answer. `parse` returns None when the text (after leading
    whitespace) does not start with `{`."""

    def __init__(self, text: str):
        self.s = text
        self.i = 0
        self.pairs: list[_Pair] = []
        self.closed = False

    @classmethod
    def parse(cls, text: str) -> "LenientJSONObject | None":
        o = cls(text)
        o._skip_space()
        if o.i >= len(o.s) or o.s[o.i] != "{":
            return None
        o.i += 1
        o._parse_members()
        return o

    def _skip_space(self):
        while self.i < len(self.s) and _is_ws(self.s[self.i]):
            self.i += 1

    def _parse_members(self):
        s = self.s
        while True:
            self._skip_space()
            if self.i >= len(s):
                return
            c = s[self.i]
            if c == "}":
                self.i += 1
                self.closed = True
                return
            if c == ",":
                self.i += 1
                continue
            if c == '"' or c == "'":
                key = self._parse_string()
            else:
                key = self._parse_bare({":", ",", "}"})
            self._skip_space()
            value = None
            if self.i < len(s) and s[self.i] == ":":
                self.i += 1
                self._skip_space()
                value = self._parse_value()
            elif self.i < len(s):
                value = self._parse_value()
            self.pairs.append(_Pair(key, value, self.i >= len(s)))
            self._skip_space()
            if self.i < len(s) and s[self.i] == ",":
                self.i += 1

    def _parse_value(self):
        s = self.s
        if self.i >= len(s):
            return None
        c = s[self.i]
        if c == '"' or c == "'":
            return _Str(self._parse_string())
        if c in "-+." or "0" <= c <= "9":
            return self._parse_number()
        return _Other(self._parse_bare({",", "}"}))

    def _parse_bare(self, stops) -> str:
        start = self.i
        while self.i < len(self.s) and self.s[self.i] not in stops:
            self.i += 1
        return swift_trim(self.s[start:self.i])

    def _parse_string(self) -> str:
        s = self.s
        quote = s[self.i]
        self.i += 1
        out = []
        while self.i < len(s):
            c = s[self.i]
            if c == quote:
                self.i += 1
                return "".join(out)
            if c == "\\" and self.i + 1 < len(s):
                e = s[self.i + 1]
                self.i += 2
                if e in "\"\\/'":
                    out.append(e)
                elif e in _SIMPLE_ESCAPES:
                    out.append(_SIMPLE_ESCAPES[e])
                elif e == "u":
                    u = self._parse_hex4()
                    if u is not None:
                        if 0xD800 <= u < 0xDC00 and self.i + 1 < len(s) and s[self.i] == "\\" and s[self.i + 1] == "u":
                            self.i += 2
                            lo = self._parse_hex4()
                            if lo is not None and 0xDC00 <= lo < 0xE000:
                                out.append(chr(0x10000 + ((u - 0xD800) << 10) + (lo - 0xDC00)))
                                continue
                        if not (0xD800 <= u < 0xE000):  # Swift's Unicode.Scalar(u) is nil for a lone surrogate
                            out.append(chr(u))
                else:
                    out.append(e)
                continue
            out.append(c)
            self.i += 1
        return "".join(out)

    def _parse_hex4(self):
        s = self.s
        if self.i + 4 > len(s):
            return None
        v = 0
        for k in range(4):
            d = _HEX.get(s[self.i + k])
            if d is None:
                return None
            v = v * 16 + d
        self.i += 4
        return v

    def _parse_number(self):
        start = self.i
        while self.i < len(self.s) and self.s[self.i] in _NUMBER_CHARS:
            self.i += 1
        t = self.s[start:self.i]
        m = _JSON_NUMBER.fullmatch(t)
        valid = m is not None
        is_integer = valid and m.group(2) is None and m.group(3) is None
        d = swift_double(t)
        if d is None:
            return _Other(t)
        return _Number(d, t, valid and is_integer)


_SIMPLE_ESCAPES = {"b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t"}

_DECIMAL = re.compile(r"[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?")
_HEXFLOAT = re.compile(r"[+-]?0[xX]([0-9a-fA-F]+\.?[0-9a-fA-F]*|\.[0-9a-fA-F]+)([pP][+-]?[0-9]+)?")
_INF_NAN = re.compile(r"[+-]?(inf|infinity|nan(\([0-9A-Za-z_]*\))?)", re.IGNORECASE)


def swift_double(text: str):
    """Swift's `Double(String)`: C `strtod` in the C locale over the whole string (up to a NUL, where C strings end);
    None when it does not consume all of it or the string is empty or starts with whitespace."""
    text = text.split("\0", 1)[0]
    if not text or text[0] in "\t\n\v\f\r ":
        return None
    if _DECIMAL.fullmatch(text):
        return float(text)
    if _HEXFLOAT.fullmatch(text):
        try:
            return float.fromhex(text)
        except OverflowError:
            return -math.inf if text.startswith("-") else math.inf
    if _INF_NAN.fullmatch(text):
        return math.nan if "nan" in text.lower() else (-math.inf if text.startswith("-") else math.inf)
    return None


def swift_round(x: float) -> float:
    """`Double.rounded()`: to nearest, halves away from zero (C `round`)."""
    if x < 0:
        return -swift_round(-x)
    f = math.floor(x)
    return f + 1.0 if x - f >= 0.5 else f


# ---------------------------------------------------------------------------------------------------------------------
# AnswerParser.swift (the parts the reward reads)


@dataclass
class ParsedAnswer:
    reasoning: str | None = None
    recovered: dict = field(default_factory=dict)  # dimension index -> int
    tags_ok: bool = False
    answer_found: bool = False
    missing_keys: list = field(default_factory=list)
    extra_keys: list = field(default_factory=list)


def _occurrences(tag: bytes, t: bytes):
    found, i, n = [], 0, len(tag)
    while i + n <= len(t):
        if t[i : i + n] == tag:
            found.append((i, i + n))
            i += n
        else:
            i += 1
    return found


def _first_lf(s: str) -> int:
    """Index of the first Character equal to "\\n" (a CR LF pair is one Character in Swift, and not "\\n")."""
    for i, c in enumerate(s):
        if c == "\n" and not (i > 0 and s[i - 1] == "\r"):
            return i
    return -1


def _locate_object(answer: str):
    text = swift_trim(answer)
    if text.startswith("```"):
        lf = _first_lf(text)
        text = text[lf:] if lf >= 0 else ""
        fence = text.rfind("```")
        if fence >= 0:
            text = text[:fence]
    if any(c in _FULL_WIDTH for c in text):
        text = "".join(_FULL_WIDTH.get(c, c) for c in text)
    text = swift_trim(text)
    if not text.startswith("{"):
        brace = text.find("{")
        if brace < 0:
            return None
        text = text[brace:]
    return LenientJSONObject.parse(text)


def _score(pair: _Pair, obj: LenientJSONObject):
    """The score in 0…100, or None when the value is unusable."""
    v = pair.value
    if v is None or isinstance(v, _Other):
        return None
    if isinstance(v, _Number):
        number = v.value
    else:
        d = swift_double(swift_trim(v.value))
        if d is None or not math.isfinite(d):
            return None
        number = d
    if not math.isfinite(number):
        return None
    number = swift_round(number)
    if not (0 <= number <= 100):
        return None
    n = int(number)
    if pair.value_at_end and not obj.closed and 1 <= n <= 10 and isinstance(v, _Number):
        return None  # may be the start of "100", cut off
    return n


def parse_answer(output: str) -> ParsedAnswer:
    r = ParsedAnswer()
    t = output.encode("utf-8", errors="surrogatepass")

    def text(a: int, b: int) -> str:
        return t[a:b].decode("utf-8", errors="replace")

    r_open = _occurrences(REASONING_OPEN.encode(), t)
    r_close = _occurrences(REASONING_CLOSE.encode(), t)
    a_open = _occurrences(ANSWER_OPEN.encode(), t)
    a_close = _occurrences(ANSWER_CLOSE.encode(), t)
    if len(r_open) == len(r_close) == len(a_open) == len(a_close) == 1:
        a, b, c, d = r_open[0], r_close[0], a_open[0], a_close[0]
        r.tags_ok = a[1] <= b[0] and b[1] <= c[0] and c[1] <= d[0]

    reasoning_start = r_open[0][1] if r_open else 0
    close_after = next((x for x in r_close if x[0] >= reasoning_start), None)
    after = close_after[1] if close_after else reasoning_start
    answer_tag = next((x for x in a_open if x[0] >= after), None) or (a_open[0] if a_open else None)
    if close_after:
        reasoning_end = close_after[0]
    elif answer_tag and answer_tag[0] >= reasoning_start:
        reasoning_end = answer_tag[0]
    else:
        reasoning_end = len(t)
    if r_open or r_close:
        r.reasoning = swift_trim(text(reasoning_start, max(reasoning_start, reasoning_end)))
    answer = None
    if answer_tag:
        end = next((x[0] for x in a_close if x[0] >= answer_tag[1]), len(t))
        answer = text(answer_tag[1], end)
    elif close_after:
        answer = text(close_after[1], len(t))
    elif not r_open:
        answer = output

    obj = _locate_object(answer) if answer is not None else None
    if obj is None:
        r.missing_keys = list(range(len(DIMENSIONS)))
        return r
    r.answer_found = True
    seen = set()
    for pair in obj.pairs:
        key = swift_trim(pair.key)
        d = _DIMENSION_NFD.get(unicodedata.normalize("NFD", key))
        if d is None:
            r.extra_keys.append(pair.key)
            continue
        seen.add(d)
        r.recovered.pop(d, None)
        value = _score(pair, obj)
        if value is not None:
            r.recovered[d] = value
    r.missing_keys = [d for d in range(len(DIMENSIONS)) if d not in seen]
    return r


# ---------------------------------------------------------------------------------------------------------------------
# ReasoningSimilarity.swift: character n-gram TF-IDF cosine (scikit-learn's TfidfVectorizer(analyzer="char",
# ngram_range=(1, 3)) with its defaults)

_PY_SPACE = WHITE_SPACE | frozenset(range(0x1C, 0x20))


def _normalise(text: str) -> str:
    lowered = "".join(c.lower() for c in text)  # per code point, as Swift's lowercased()
    out, run = [], []
    for c in lowered:
        if ord(c) in _PY_SPACE:
            run.append(c)
            continue
        out.append(" " if len(run) >= 2 else "".join(run))
        run = []
        out.append(c)
    out.append(" " if len(run) >= 2 else "".join(run))
    return "".join(out)


def char_ngrams(text: str, lo: int = 1, hi: int = 3) -> list[str]:
    """All n-grams over code points, shortest first. Each is returned in NFC: the Swift code keys its dictionaries by
    `String`, whose equality is canonical equivalence, so "e" + U+0301 (a 2-gram) and "é" (a 1-gram) are one n-gram
    there; NFC keys make them one here too (scikit-learn, comparing code points, would count them apart)."""
    s = _normalise(text)
    return [unicodedata.normalize("NFC", s[i : i + n]) for n in range(lo, hi + 1) if n <= len(s) for i in range(len(s) - n + 1)]


class CharNGramTFIDF:
    def __init__(self, corpus: list[str], ngram_range=(1, 3)):
        self.lo, self.hi = ngram_range
        df: dict[str, int] = {}
        for doc in corpus:
            for g in set(char_ngrams(doc, self.lo, self.hi)):
                df[g] = df.get(g, 0) + 1
        n = float(len(corpus))
        self.idf = {g: math.log((1 + n) / (1 + float(c))) + 1 for g, c in df.items()}

    def vector(self, text: str) -> dict[str, float]:
        tf: dict[str, float] = {}
        for g in char_ngrams(text, self.lo, self.hi):
            if g in self.idf:
                tf[g] = tf.get(g, 0.0) + 1.0
        norm = 0.0
        for g in sorted(tf):  # the Swift code sums in sorted key order
            w = tf[g] * self.idf[g]
            tf[g] = w
            norm += w * w
        if not norm > 0:
            return {}
        inv = 1 / math.sqrt(norm)
        return {g: w * inv for g, w in tf.items()}

    def similarity(self, a: str, b: str) -> float:
        va, vb = self.vector(a), self.vector(b)
        small, large = (va, vb) if len(va) <= len(vb) else (vb, va)
        dot = 0.0
        for g in sorted(small):
            x = large.get(g)
            if x is not None:
                dot += small[g] * x
        return min(1.0, max(0.0, dot))


# ---------------------------------------------------------------------------------------------------------------------
# Reward.swift


@dataclass(frozen=True)
class RewardBreakdown:
    format: float
    keys: float
    scores: float
    reasoning: float
    parseable: bool
    total: float


def score_term(predicted, reference: int, config: RewardConfig) -> float:
    if predicted is None:
        worst = max(reference - 0, 100 - reference)
        return -float(worst) * config.score_error_scale
    if predicted == reference:
        return config.exact_score_bonus
    return -float(abs(predicted - reference)) * config.score_error_scale


def reward(output: str, reference_scores, reference_reasoning: str, config: RewardConfig,
           similarity: CharNGramTFIDF) -> RewardBreakdown:
    """The reward of one completion against its reference. `reference_scores`: the nine scores, as a list in canonical
    order or a dict keyed by the Chinese keys."""
    ref = [int(reference_scores[k]) for k in DIMENSIONS] if isinstance(reference_scores, dict) else [int(x) for x in reference_scores]
    p = parse_answer(output)
    f = 1.0 if p.tags_ok else -1.0
    missing = len(p.missing_keys)
    k = float((len(DIMENSIONS) - missing) - missing - len(p.extra_keys))
    s = 0.0
    for d in range(len(DIMENSIONS)):
        s = s + score_term(p.recovered.get(d), ref[d], config)
    r = 0.0
    if p.reasoning and reference_reasoning:
        r = similarity.similarity(p.reasoning, reference_reasoning)
    if not p.answer_found:
        total = config.unparseable_penalty
    else:
        total = config.format_weight * f + config.keys_weight * k + config.scores_weight * s + config.reasoning_weight * r
    return RewardBreakdown(f, k, s, r, p.answer_found, total)
