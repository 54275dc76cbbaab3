"""TF-IDF and k-means for `topics.py`, in NumPy.

Words get integer ids and two-word phrases integer codes, so a site's phrases are counted in
arrays rather than as millions of strings; rows are sparse and handled in chunks, so no dense
pages x terms matrix is ever built. Big sites are fitted on an even sample of pages and every
other page is then assigned to its nearest centre.
"""

from __future__ import annotations

import hashlib
import math
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import overload

import numpy as np

from funnel_audit.analyse import topic_names as settings
from funnel_audit.analyse.kmeans import CHUNK, Rows, kmeans, nearest, stack
from funnel_audit.analyse.topic_names import MAX_TOPICS, Topic

_MAX_TERMS = 20_000
_DROP = -2  # word id of a stop word
_UNKNOWN = -1  # word id of a word the vocabulary was not fitted on

_STOP = settings.STOP
_TOKEN = re.compile(r"(?u)\b[^\W\d_][\w-]{2,}\b")
_NUMBERISH = re.compile(r"^\d")


def cluster_topics(
    texts: Sequence[str], seed: int = 0, brand: str = "", avoid: Iterable[str] = ()
) -> tuple[list[int], list[Topic]]:
    """`topics.find_topics`. The texts are taken in an order of their own (by a hash of each), so
    the topics and their names never depend on the order the pages came in."""
    shun = settings.avoid_words(brand, avoid)
    n = len(texts)
    if n == 0:
        return [], []
    digests = [
        hashlib.blake2b(t.encode("utf-8", "replace"), digest_size=12).digest() for t in texts
    ]
    order = sorted(range(n), key=digests.__getitem__)
    # a page read twice (the home page as / and as /index.html) counts once in the names
    first = np.array([j == 0 or digests[order[j]] != digests[order[j - 1]] for j in range(n)])
    del digests
    labels, topics = _cluster(_InOrder(texts, order), seed, shun, first)
    out = [0] * n
    for i, label in zip(order, labels, strict=True):
        out[i] = label
    return out, topics


class _InOrder(Sequence[str]):
    def __init__(self, texts: Sequence[str], order: Sequence[int]) -> None:
        self._texts = texts
        self._order = order

    def __len__(self) -> int:
        return len(self._order)

    @overload
    def __getitem__(self, i: int) -> str: ...
    @overload
    def __getitem__(self, i: slice) -> list[str]: ...
    def __getitem__(self, i: int | slice) -> str | list[str]:
        if isinstance(i, slice):
            return [self._texts[j] for j in self._order[i]]
        return self._texts[self._order[i]]


def _cluster(
    texts: Sequence[str], seed: int, avoid: frozenset[str], first: np.ndarray
) -> tuple[list[int], list[Topic]]:
    n = len(texts)
    # Big sites: the vocabulary and the clusters come from an even sample of pages (two-word
    # phrases of 20,000 pages would cost hundreds of MB), then every other page is assigned.
    picked = (
        np.arange(n)
        if n <= settings.MAX_FIT_PAGES
        else np.linspace(0, n - 1, settings.MAX_FIT_PAGES).astype(int)
    )
    lexicon = _Lexicon()
    sample_ids = [
        _word_ids([texts[j] for j in picked[i : i + CHUNK]], lexicon)
        for i in range(0, len(picked), CHUNK)
    ]
    lexicon.closed = True  # a word first seen after the sample is in no term
    vocab = _fit_vocabulary(
        sample_ids,
        lexicon.words,
        n_docs=len(picked),
        min_df=2 if n >= 8 else 1,
        max_df=0.5 if n >= 8 else 1.0,
    )
    if vocab is None:
        return [0] * n, [Topic("general", ())]
    fit_rows = stack([_rows(ids, vocab) for ids in sample_ids])
    del sample_ids
    rest = np.setdiff1d(np.arange(n), picked)

    def rest_rows() -> Iterator[tuple[np.ndarray, Rows]]:
        for i in range(0, len(rest), CHUNK):
            which = rest[i : i + CHUNK]
            yield which, _rows(_word_ids([texts[j] for j in which], lexicon), vocab)

    size = len(vocab.terms)
    k = 1 if n < 4 else max(2, min(MAX_TOPICS, round(math.sqrt(n / 2.5))))
    if k == 1 or size < 4:
        total = np.bincount(fit_rows.indices, weights=fit_rows.data, minlength=size)
        for _, rows in rest_rows():
            total += np.bincount(rows.indices, weights=rows.data, minlength=size)
        centres = (total / n)[None, :]
        labels = np.zeros(n, np.int64)
    else:
        centres = kmeans(fit_rows, k, size, np.random.default_rng(seed))
        labels = np.empty(n, np.int64)
        labels[picked] = nearest(fit_rows, centres)[0]
        for which, rows in rest_rows():
            labels[which] = nearest(rows, centres)[0]
    return labels.tolist(), _named(texts, labels, centres, vocab.terms, avoid, first)


def _named(
    texts: Sequence[str],
    labels: np.ndarray,
    centres: np.ndarray,
    terms: np.ndarray,
    avoid: frozenset[str],
    first: np.ndarray,
) -> list[Topic]:
    """Each cluster's Topic: a name from its pages' titles and headings (`topic_names.name_topics`,
    read from an even sample of them; a text met before is not read again), keywords from its
    strongest TF-IDF terms."""
    heads: list[list[list[str]]] = []
    sizes: list[int] = []
    ranked: list[list[str]] = []
    for c, centre in enumerate(centres):
        members = np.flatnonzero((labels == c) & first)
        sizes.append(len(members))
        if len(members) > settings.MAX_NAME_PAGES:
            members = members[np.linspace(0, len(members) - 1, settings.MAX_NAME_PAGES).astype(int)]
        heads.append([settings.heads(texts[int(j)]) for j in members])
        top = np.argsort(-centre, kind="stable")[:40]
        ranked.append(
            [str(terms[i]) for i in top if centre[i] > 0 and not _NUMBERISH.match(terms[i])]
        )
    names = settings.name_topics(heads, sizes, ranked, avoid)
    return [
        Topic(name=name, keywords=_keywords(name, terms, avoid))
        for name, terms in zip(names, ranked, strict=True)
    ]


def _keywords(name: str, ranked: Sequence[str], avoid: frozenset[str]) -> tuple[str, ...]:
    """The name, then the cluster's strongest terms: a phrase replaces the single words it holds
    ("boiler installation" > "boiler"); never a term with a word twice or a brand or host word."""
    keywords: list[str] = []
    for term in ranked:
        words = term.split()
        if len(set(words)) < len(words) or avoid.intersection(words):
            continue
        if len(words) > 1:
            keywords = [kw for kw in keywords if kw not in words]
        elif any(term in kw.split() for kw in keywords):
            continue
        if term not in keywords:
            keywords.append(term)
        if len(keywords) == 6:
            break
    if name.lower() in keywords or name in settings.FALLBACK_NAMES or name.startswith("topic "):
        return tuple(keywords)
    return (name, *keywords[:5])


# --- TF-IDF -------------------------------------------------------------------------------------
#
# Words get integer ids in order of first appearance in the sample. A term is coded as one int64:
# word a alone is a * base, the phrase "a b" is a * base + b + 1, so the sample's two-word phrases
# are counted in NumPy arrays rather than as millions of Python strings.


@dataclass(frozen=True, slots=True)
class _WordIds:
    ids: np.ndarray  # word id of each kept token of every text, concatenated, or _UNKNOWN
    lengths: np.ndarray  # tokens per text


@dataclass(frozen=True, slots=True)
class _Vocabulary:
    """The fitted terms; columns are in alphabetical order of the terms."""

    base: int
    word_column: np.ndarray  # column of each word id as a term of its own, or -1
    starts_phrase: np.ndarray  # per word id: is it the first word of some phrase term?
    ends_phrase: np.ndarray  # per word id: is it the second word of some phrase term?
    phrase_codes: np.ndarray  # sorted codes of the phrase terms
    phrase_columns: np.ndarray
    idf: np.ndarray
    terms: np.ndarray


class _Lexicon(dict[str, int]):
    """Word -> id, numbered in order of first appearance; a stop word maps to _DROP.

    Once closed, a word not seen before maps to _UNKNOWN instead of getting a new id.
    """

    def __init__(self) -> None:
        super().__init__(dict.fromkeys(_STOP, _DROP))
        self.words: list[str] = []
        self.closed = False

    def __missing__(self, word: str) -> int:
        if self.closed:
            return _UNKNOWN
        self[word] = len(self.words)
        self.words.append(word)
        return self[word]


def _word_ids(texts: Sequence[str], lexicon: _Lexicon) -> _WordIds:
    """Lower-cased tokens less stop words (so phrases span a dropped stop word, as in sklearn)."""
    per_text: list[np.ndarray] = []
    for text in texts:
        tokens = _TOKEN.findall(text.lower())
        per_text.append(np.fromiter(map(lexicon.__getitem__, tokens), np.int32, len(tokens)))
    lengths = np.fromiter(map(len, per_text), np.int64, len(per_text))
    ids = np.concatenate(per_text) if per_text else np.zeros(0, np.int32)
    kept = ids != _DROP
    doc = np.repeat(np.arange(len(per_text)), lengths)
    return _WordIds(ids[kept], np.bincount(doc[kept], minlength=len(per_text)))


def _occurrences(words: _WordIds, base: int) -> tuple[np.ndarray, np.ndarray]:
    """(text, term code) of every word and two-word phrase occurring in the texts."""
    ids = words.ids.astype(np.int64)
    doc = np.repeat(np.arange(len(words.lengths), dtype=np.int32), words.lengths)
    known = ids != _UNKNOWN
    pair = (doc[1:] == doc[:-1]) & known[1:] & known[:-1]
    codes = np.concatenate([ids[known] * base, ids[:-1][pair] * base + ids[1:][pair] + 1])
    return np.concatenate([doc[known], doc[:-1][pair]]), codes


def _fit_vocabulary(
    chunks: Sequence[_WordIds], words: Sequence[str], *, n_docs: int, min_df: int, max_df: float
) -> _Vocabulary | None:
    base = len(words) + 1
    # sorted distinct codes of the sample so far, with document frequency and total count
    codes = np.zeros(0, np.int64)
    df = np.zeros(0, np.int32)
    total = np.zeros(0, np.int32)
    for chunk in chunks:
        doc, code = _occurrences(chunk, base)
        if len(code) == 0:
            continue
        order = np.lexsort((doc, code))
        doc, code = doc[order], code[order]
        new_code = np.r_[True, code[1:] != code[:-1]]
        new_in_doc = new_code | np.r_[True, doc[1:] != doc[:-1]]
        starts = np.flatnonzero(new_code)
        chunk_df = np.add.reduceat(new_in_doc, starts, dtype=np.int32)
        chunk_total = np.diff(np.r_[starts, len(code)]).astype(np.int32)
        code = code[starts]
        del doc, order, new_code, new_in_doc, starts
        # merge into the running arrays: add to codes seen before, insert the others in order
        at = np.searchsorted(codes, code)
        seen = at < len(codes)
        seen[seen] = codes[at[seen]] == code[seen]
        df[at[seen]] += chunk_df[seen]
        total[at[seen]] += chunk_total[seen]
        fresh = ~seen
        codes = np.insert(codes, at[fresh], code[fresh])
        df = np.insert(df, at[fresh], chunk_df[fresh])
        total = np.insert(total, at[fresh], chunk_total[fresh])
    keep = np.flatnonzero((df >= min_df) & (df <= max_df * n_docs))
    if len(keep) == 0:
        return None

    def term(code: int) -> str:
        a, b = divmod(code, base)
        return words[a] if b == 0 else f"{words[a]} {words[b - 1]}"

    if len(keep) > _MAX_TERMS:
        # the most frequent terms; among those tied at the cut, the alphabetically first
        cut = np.sort(total[keep])[-_MAX_TERMS]
        above = keep[total[keep] > cut]
        tied = sorted(keep[total[keep] == cut].tolist(), key=lambda i: term(int(codes[i])))
        keep = np.sort(np.r_[above, np.array(tied[: _MAX_TERMS - len(above)], np.int64)])
    terms = [term(int(c)) for c in codes[keep]]
    alphabetical = sorted(range(len(terms)), key=terms.__getitem__)
    columns = np.empty(len(terms), np.int64)
    columns[alphabetical] = np.arange(len(terms))
    idf = np.log((1 + n_docs) / (1 + df[keep][alphabetical])) + 1
    first, second = np.divmod(codes[keep], base)
    phrase = second > 0
    word_column = np.full(len(words), -1, np.int64)
    word_column[first[~phrase]] = columns[~phrase]
    starts_phrase = np.zeros(len(words), bool)
    starts_phrase[first[phrase]] = True
    ends_phrase = np.zeros(len(words), bool)
    ends_phrase[second[phrase] - 1] = True
    return _Vocabulary(
        base=base,
        word_column=word_column,
        starts_phrase=starts_phrase,
        ends_phrase=ends_phrase,
        phrase_codes=codes[keep][phrase],
        phrase_columns=columns[phrase],
        idf=idf.astype(np.float32),
        terms=np.array([terms[i] for i in alphabetical], dtype=object),
    )


def _rows(words: _WordIds, vocab: _Vocabulary) -> Rows:
    """TF-IDF rows: tf = 1 + ln(count), smooth idf, each row scaled to unit length."""
    n_docs = len(words.lengths)
    ids = words.ids.astype(np.int64)
    doc = np.repeat(np.arange(n_docs), words.lengths)
    known = ids != _UNKNOWN
    single = np.where(known, vocab.word_column[np.where(known, ids, 0)], -1)
    # phrases: only pairs of words that can start and end one are looked up
    pair = np.flatnonzero((doc[1:] == doc[:-1]) & known[1:] & known[:-1])
    pair = pair[vocab.starts_phrase[ids[pair]] & vocab.ends_phrase[ids[pair + 1]]]
    code = ids[pair] * vocab.base + ids[pair + 1] + 1
    at = np.minimum(np.searchsorted(vocab.phrase_codes, code), len(vocab.phrase_codes) - 1)
    hit = vocab.phrase_codes[at] == code
    size = len(vocab.terms)
    key, count = np.unique(
        np.concatenate(
            [
                doc[single >= 0] * size + single[single >= 0],
                doc[pair[hit]] * size + vocab.phrase_columns[at[hit]],
            ]
        ),
        return_counts=True,
    )
    doc, column = np.divmod(key, size)
    weight = (1 + np.log(count)) * vocab.idf[column]
    weight /= np.sqrt(np.bincount(doc, weights=weight * weight, minlength=n_docs))[doc]
    indptr = np.zeros(n_docs + 1, np.int64)
    np.cumsum(np.bincount(doc, minlength=n_docs), out=indptr[1:])
    return Rows(indptr, column.astype(np.int32), weight.astype(np.float32))
