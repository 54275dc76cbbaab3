"""How the site's topics are named (and what text they are found from), in plain Python.

Pages are clustered on TF-IDF of title, headings and the start of the main text (k-means with a
fixed seed on the pages in an order of their own text, so the same site always gives the same
topics, whatever order its pages were crawled in). Terms that appear on most pages (the brand, the
nav) are ignored.

Each topic is named by the clean phrase (one to three words, `phrases`) that its pages' titles and
headings use most and other topics' pages use least: "invoice approval", "heat pump", "AP
automation". A name never holds a function word at either end, the same word twice, a word of the
brand or of the site's host, a number, or the vocabulary of buttons and forms ("get started",
"book a demo", "free trial"). Only a topic whose pages give no such phrase falls back to its
strongest single TF-IDF term, and then to "general".

The numeric work is plain NumPy on sparse rows (`topic_clusters.py`), not scikit-learn or SciPy:
importing scikit-learn alone costs about 120 MB of memory. It is imported only when topics are
found, after the crawl, so the crawling process does not carry NumPy while parsers run beside it.
This module (the page text and the names) is plain Python.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

TOPIC_TEXT_CHARS = 1_500
MAX_TOPICS = 8
MAX_FIT_PAGES = 4_000
MAX_NAME_PAGES = 300  # pages of a topic whose titles and headings are read to name it
MAX_NAME_WORDS = 3
HEAD_CHARS = 2_000  # what is read of a topic text's first line (title and headings)
_HEAD_SEPARATOR = "\t"  # between title and headings; extraction collapses tabs within them
_ADDRESSES = re.compile(
    r"\S+@\S+|https?://\S+|www\.\S+|\b[\w-]+\.(?:com|org|net|io|co|example|local)\b", re.I
)
FALLBACK_NAMES = ("general", "other topics", "more topics")

# Function words, grouped by kind. Tokens shorter than three letters never reach the list, but the
# short words are kept so that it reads as a whole. Contractions split at the apostrophe, so their
# stems ("doesn", "wouldn") are listed as well.
_FUNCTION_WORDS = """
    the a an this that these those such same own other others another certain
    all any both each either every neither no none nor some half whole
    i me my mine myself we us our ours ourselves you your yours yourself yourselves
    he him his himself she her hers herself it its itself they them their theirs themselves
    one ones oneself anyone anybody anything anywhere someone somebody something somewhere
    everyone everybody everything everywhere nobody nothing nowhere noone elsewhere
    who whom whose which what whatever whoever whomever whichever
    when whenever where wherever whereas whereby wherein whereupon whereafter why how however
    here hereby herein hereafter hereupon there thereby therein thereafter thereupon thence
    be am is are was were been being have has had having do does did doing done
    will would shall should can could may might must ought cannot
    isn aren wasn weren hasn haven hadn doesn didn won wouldn shan shouldn couldn mustn
    mightn needn ain cant wont didnt doesnt isnt arent wasnt werent hasnt couldnt wouldnt
    about above across after afterwards against ahead along alongside amid amidst among amongst
    around aside at away before beforehand behind below beneath beside besides between beyond
    by despite down during except for from in inside into near nearby of off on onto
    out outside over past per since than through throughout thru till to toward towards
    under underneath unlike until unto up upon via with within without
    and but or so yet because although though while whilst if unless whether lest
    also else otherwise hence thus therefore moreover furthermore nevertheless nonetheless
    meanwhile accordingly consequently instead anyway anyhow indeed
    many much more most less least few fewer several enough lot lots plenty various
    very too quite rather really almost nearly already always often sometimes usually seldom
    rarely never ever still again even only just perhaps maybe probably possibly simply
    actually especially mostly mainly largely fully now then soon later once twice today
    well somehow somewhat together alone ago next last further former formerly latter namely
    sometime whence whither
    become becomes became becoming seem seems seemed seeming go goes going gone went got
    getting gets let lets say says said see seen sees saw find finds show shows give gives
    take takes keep keeps put puts come comes made makes making
    yes not okay etc ie eg
    zero two three four five six seven eight nine ten eleven twelve twenty thirty forty fifty
    hundred thousand
    first second third
"""
# Site words: on almost every page of a site, and never what a page is about.
_SITE_WORDS = """
    page pages click read learn contact us get new just like make use need want way ll ve don re
    com www http https html blog home menu skip content cookies cookie accept call please thanks
    message email phone name submit required form send optional address postcode details enquiry
    mobile
"""
STOP = frozenset(_FUNCTION_WORDS.split()) | frozenset(_SITE_WORDS.split())

# Never in a name: the vocabulary of buttons, forms and accounts ("get started", "book a demo",
# "free trial"), of content formats ("case study", "guide"), of legal pages, company suffixes
# ("Inc"), and words that only say when or how much.
_NOT_IN_NAME = """
    started start starts try trying book booking books request requests schedule buy shop sign
    signup signin login logout log register registration subscribe subscription join download
    apply claim talk speak watch free trial trials demo demos quote quotes now today thank
    password cart basket checkout order orders search faq faqs help newsletter
    welcome hello hi pricing price prices sales

    guide guides checklist checklists webinar webinars ebook ebooks whitepaper glossary
    overview overviews explained explainer introduction intro tutorial tutorials case cases
    study studies story stories testimonial testimonials resources resource article articles
    post posts news update updates podcast video videos tips tip ideas examples example faq
    answers answer questions question everything things thing stuff works work steps step
    terms conditions privacy policy legal notice cookies sitemap careers career jobs job
    inc ltd llc limited corp plc gmbh pty

    day days week weeks month months year years hour hours minute minutes time times
    date dates people person team teams way ways lot lots part parts kind kinds number numbers
    percent average
"""
# Never a name on their own, fine within one: "services" alone says nothing, "drain services" does
_NOT_ALONE = frozenset(
    """
    services service solutions solution products product platform features feature benefits
    options option software tools tool company business businesses customers customer clients
    client industry industries support plans plan cost costs results result process
    approach options difference reasons reason world expert experts specialists account
    accounts centre center hub area areas
""".split()
)
# Never the last word of a name (adjectives: "amazon simple"), nor the first (verbs: "cuts
# invoice processing")
_NOT_LAST = frozenset(
    """
    simple easy easier free best better good great new fast faster quick quickly smart powerful
    modern complete top leading trusted affordable reliable professional available full real
    right big small large latest ready secure flexible local total true high low key main
    automatic automated manual online digital ultimate essential common typical worth
    happen happens matter matters fail fails stall stalls drop drops freeze freezes know
    arrive arrives perform performs work mean means asked received
""".split()
)
_NOT_FIRST = frozenset(
    """
    cut cuts save saves improve improves reduce reduces boost boosts build builds grow grows
    stop stops avoid avoids prevent prevents choose choosing compare comparing design designing
    manage manages automate automates connect connects understand understanding using run runs
    pay pays meet meets discover explore explained introducing means drops freezes happen
    happens collecting tracking worth
""".split()
)
# Never in a name, but the head of the words before them: "finance teams", "close checklist"
_HOLLOW = frozenset(
    """
    team teams people guide guides checklist checklists glossary template templates tips
    mistakes basics examples questions answers overview webinar webinars ebook ebooks article
    articles story stories study studies playbook handbook calculator
""".split()
)
NAME_STOP = STOP | frozenset(_NOT_IN_NAME.split()) | _HOLLOW
_DETERMINERS = frozenset("the a an your our their its this these those my every".split())
_INNER_WEIGHT = 0.6  # a phrase inside a longer run of name words counts for this much

_PUNCTUATION = re.compile(
    r"[:;,.!?()\[\]{}|/\\\"\u201c\u201d\u00ab\u00bb\u2013\u2014\u2026&+=#*]+|"
    r"\s-+\s|\s'|'\s|^'|'$"
)
_WORD = re.compile(r"[^\W\d_]+(?:[-'\u2019][^\W\d_]+)*")
_POSSESSIVE = re.compile(r"['\u2019]s$", re.I)


@dataclass(frozen=True, slots=True)
class Topic:
    """A named cluster of pages, with the keywords that name it in the report and the plan."""

    name: str
    keywords: tuple[str, ...]


def topic_text(title: str, headings: Sequence[str], main_text: str) -> str:
    """The part of a page that says what it is about; titles and headings count double. The first
    line is the title and the headings, tab-separated (`heads` reads them back to name topics)."""
    head = _HEAD_SEPARATOR.join(" ".join(h.split()) for h in (title, *headings[:10]))
    return _ADDRESSES.sub(" ", f"{head}\n{head}\n{main_text[:TOPIC_TEXT_CHARS]}")


def heads(text: str) -> list[str]:
    """A topic text's title and headings (the title first). A text from before they were kept
    apart gives them as one line."""
    first = text[:HEAD_CHARS].split("\n", 1)[0]
    return [part for part in first.split(_HEAD_SEPARATOR) if part.strip()]


def avoid_words(brand: str, avoid: Iterable[str] = ()) -> frozenset[str]:
    """The lower-cased words a name may never hold: the brand's and `avoid`'s."""
    words = {w.lower() for w in _WORD.findall(brand[:300])}
    for item in avoid:
        words.update(w.lower() for w in _WORD.findall(str(item)[:300]))
    return frozenset(words | {_POSSESSIVE.sub("", w) for w in words})


# --- names --------------------------------------------------------------------------------------


def _key(word: str) -> str:
    """A word as names compare it: lower case, a plain plural made singular."""
    word = word.lower()
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def _runs(text: str, avoid: frozenset[str]) -> list[list[str | None]]:
    """Runs of words that may be in a name, as written (acronyms and the like kept as they are,
    other words in lower case). A function word, a number, a button word or punctuation ends a
    run; a noun that never names a topic but heads the words before it ("finance teams", "close
    checklist", a brand word as in "emergency plumbing") stays in the run as None."""
    runs: list[list[str | None]] = []
    for chunk in _PUNCTUATION.split(text[:HEAD_CHARS]):
        # capitals are meant ("AP automation") unless the whole chunk is in capitals with a word
        # too long for an acronym ("OUR SERVICES")
        shouting = not any(ch.islower() for ch in chunk) and any(len(t) > 5 for t in chunk.split())
        run: list[str | None] = []
        for token in chunk.split():
            # a possessive qualifies what follows it ("the buyer's guide") and a contraction is
            # no noun ("we've"): either ends a run
            word = "" if "'" in token or "\u2019" in token else token
            lower = word.lower()
            if not _WORD.fullmatch(word) or any(ch.isdigit() for ch in word):  # "²" is \w
                usable = hollow = False
            else:
                hollow = lower in _HOLLOW or lower in avoid or _key(word) in avoid
                usable = not hollow and lower not in NAME_STOP
            # a capital after the first letter is meant ("AP", "KPIs", "SaaS", "NetSuite")
            keep_case = not shouting and any(ch.isupper() for ch in word[1:])
            if usable and (len(word) >= 3 or (keep_case and word.isupper())):
                run.append(word if keep_case else lower)
            elif hollow:
                run.append(None)
            elif run:
                # a lone word before "the", "your" ... is a verb ("close the month")
                if len(run) > 1 or lower not in _DETERMINERS:
                    runs.append(run)
                run = []
        if run:
            runs.append(run)
    return runs


def _fits(words: Sequence[str]) -> bool:
    """Whether a run's slice reads as a name: no word twice, no verb first, no adjective last,
    and a single word only if it says something on its own."""
    keys = [_key(w) for w in words]
    if len(set(keys)) < len(keys):
        return False
    first, last = words[0].lower(), words[-1].lower()
    if first in _NOT_FIRST or last in _NOT_LAST:
        return False
    return len(words) > 1 or first not in _NOT_ALONE


def phrases(text: str, avoid: frozenset[str] = frozenset()) -> list[tuple[str, bool, bool]]:
    """Every clean phrase of one to three words in a title or heading, longest first, each with
    whether it ends its run (is the head of what it is part of: "heat pump" in "air source heat
    pump" is, "air source heat" is not) and whether it is the whole of its stretch of name words
    ("boiler repair" in "Boiler repair and servicing")."""
    out: list[tuple[str, bool, bool]] = []
    for run in _runs(text, avoid):
        end = len(run)
        start = 0
        while start < end:
            if run[start] is None:
                start += 1
                continue
            stop = start
            while stop < end and run[stop] is not None:
                stop += 1
            words: list[str] = run[start:stop]  # type: ignore[assignment]
            for size in range(min(MAX_NAME_WORDS, len(words)), 0, -1):
                for i in range(len(words) - size + 1):
                    if _fits(words[i : i + size]):
                        out.append(
                            (
                                " ".join(words[i : i + size]),
                                start + i + size == end,
                                size == len(words),
                            )
                        )
            start = stop
    return out


def clean_name(text: str, avoid: Iterable[str] = ()) -> str:
    """The first clean phrase of `text` (its longest at the first place one starts), or "" when
    no word of it may name a topic. `clean_name(clean_name(x)) == clean_name(x)`."""
    found = phrases(text, avoid_words("", avoid))
    return found[0][0] if found else ""


def _phrase_key(phrase: str) -> str:
    return " ".join(_key(w) for w in phrase.split())


def name_topics(
    pages: Sequence[Sequence[Sequence[str]]],
    sizes: Sequence[int],
    fallbacks: Sequence[Sequence[str]],
    avoid: frozenset[str],
) -> list[str]:
    """A distinct name for each topic, from `pages[t]`: the titles-and-headings (`heads`) of
    (a sample of) topic t's pages, which has `sizes[t]` pages in all.

    A phrase scores by the share of the topic's pages whose title (counting double) or headings
    use it, times the square root of the share of its uses that fall in this topic rather than
    another, times a bonus for a longer phrase written on its own somewhere (so "accounts
    payable" beats "payable" on the same pages); a phrase on one page only counts half. Names are
    handed out best score first, so two topics never share one; ties go to the phrase that comes
    first alphabetically. A topic left without one takes its first clean `fallbacks` term."""
    k = len(pages)
    ranked, written = _ranked(pages, sizes, avoid)
    names: list[str | None] = [None] * k
    used: set[str] = set()
    for _, t, key in ranked:
        # never a name inside another or holding it ("invoice" beside "invoice approval")
        if names[t] is None and not any(_overlaps(key, u) for u in used):
            # the way it is written most often; among equals the alphabetically first
            names[t] = min(written[key].items(), key=lambda kv: (-kv[1], kv[0]))[0]
            used.add(key)
    for t in range(k):
        if names[t] is None:
            names[t] = _fallback(fallbacks[t], used, avoid)
    return [n or "general" for n in names]


def _ranked(
    pages: Sequence[Sequence[Sequence[str]]], sizes: Sequence[int], avoid: frozenset[str]
) -> tuple[list[tuple[float, int, str]], dict[str, Counter[str]]]:
    """(-score, topic, phrase key) best first; and how each phrase key is written."""
    k = len(pages)
    counts: list[Counter[str]] = []
    on_pages: list[Counter[str]] = []
    written: dict[str, Counter[str]] = {}  # key -> how the phrase is written
    whole: set[str] = set()  # keys seen as the whole of a stretch of name words
    for sample in pages:
        count: Counter[str] = Counter()
        pages_with: Counter[str] = Counter()
        for parts in sample:
            weight: dict[str, float] = {}
            for j, part in enumerate(parts):
                for phrase, final, alone in phrases(part, avoid):
                    key = _phrase_key(phrase)
                    w = (2.0 if j == 0 else 1.0) * (1.0 if final else _INNER_WEIGHT)
                    weight[key] = max(weight.get(key, 0.0), w)
                    written.setdefault(key, Counter())[phrase] += 1
                    if alone:
                        whole.add(key)
            count.update(weight)
            pages_with.update(weight.keys())
        counts.append(count)
        on_pages.append(pages_with)
    scale = [sizes[t] / max(1, len(pages[t])) for t in range(k)]
    total: defaultdict[str, float] = defaultdict(float)
    for t, count in enumerate(counts):
        for key, n in count.items():
            total[key] += n * scale[t]
    ranked: list[tuple[float, int, str]] = []
    for t, count in enumerate(counts):
        for key, n in count.items():
            share = n / (2 * max(1, len(pages[t])))
            precision = n * scale[t] / total[key]
            # longer is more telling, if it is ever written on its own ("air source heat pump"
            # never gives "source heat pump" alone)
            bonus = (0.8, 1.8, 2.0) if key in whole else (0.8, 1.4, 1.5)
            # one page's phrase rarely says what a topic of several pages is about
            lone = 0.5 if on_pages[t][key] < 2 <= len(pages[t]) else 1.0
            score = share * precision**0.5 * bonus[min(key.count(" "), 2)] * lone
            ranked.append((-round(score, 9), t, key))
    ranked.sort()
    return ranked, written


def _overlaps(a: str, b: str) -> bool:
    x, y = set(a.split()), set(b.split())
    return x <= y or y <= x


def _fallback(terms: Sequence[str], used: set[str], avoid: frozenset[str]) -> str:
    for term in terms:
        if " " in term:  # TF-IDF phrases span dropped words ("try ... ring"): single words only
            continue
        name = clean_name(term, avoid)
        if name and not any(_overlaps(_phrase_key(name), u) for u in used):
            used.add(_phrase_key(name))
            return name
    for name in FALLBACK_NAMES:
        if name not in used:
            used.add(name)
            return name
    n = len(used) + 1
    while f"topic {n}" in used:
        n += 1
    used.add(f"topic {n}")
    return f"topic {n}"
