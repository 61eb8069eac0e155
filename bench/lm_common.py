"""Shared helpers for the Kneser-Ney LM benchmarks: cc_net's text normalisation and a
deterministic train/held-out split of WikiText-2 (raw) articles."""
import os
import re
import unicodedata

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
WIKITEXT = os.path.join(ROOT, "..", "shared", "data", "text", "wikitext-2-raw", "wiki.test.raw")

# cc_net's text_normalizer.normalize (accent=True, case=True, numbers=True, punct=1), written from
# its documented behaviour.
_PUNCT = {
    "，": ",", "。": ".", "、": ",", "„": '"', "”": '"', "“": '"', "«": '"', "»": '"', "１": '"',
    "」": '"', "「": '"', "《": '"', "》": '"', "´": "'", "∶": ":", "：": ":", "？": "?", "！": "!",
    "（": "(", "）": ")", "；": ";", "–": "-", "—": " - ", "．": ". ", "～": "~", "’": "'", "…": "...",
    "━": "-", "〈": "<", "〉": ">", "【": "[", "】": "]", "％": "%", "►": "-",
}
_CONTROL = re.compile("[" + "".join(map(chr, list(range(0, 32)) + list(range(127, 160)))) + "]")
_DIGIT = re.compile(r"\d")


def normalize(line: str) -> str:
    line = line.strip()
    if not line:
        return line
    line = line.lower()
    line = "".join(c for c in unicodedata.normalize("NFD", line) if unicodedata.category(c) != "Mn")
    line = _DIGIT.sub("0", line)
    line = "".join(_PUNCT.get(c, c) for c in line)
    return _CONTROL.sub("", line)


def wikitext_articles(path=WIKITEXT):
    """Articles of the raw WikiText file: each starts at a ` = Title = ` line."""
    articles, cur = [], []
    for line in open(path, encoding="utf-8"):
        if re.match(r"^ = [^=].* = $", line.rstrip("\n")) and cur:
            articles.append(cur)
            cur = []
        cur.append(line.rstrip("\n"))
    if cur:
        articles.append(cur)
    return articles


def split_wikitext(out_dir, heldout_every=5):
    """Writes train.txt / heldout.txt (normalised, one non-blank line per line): every
    `heldout_every`-th article (index % n == n-1) is held out. Returns (train, heldout) paths."""
    os.makedirs(out_dir, exist_ok=True)
    train, held = os.path.join(out_dir, "train.txt"), os.path.join(out_dir, "heldout.txt")
    with open(train, "w", encoding="utf-8") as tr, open(held, "w", encoding="utf-8") as he:
        for i, art in enumerate(wikitext_articles()):
            out = he if i % heldout_every == heldout_every - 1 else tr
            for line in art:
                n = normalize(line)
                if n.split():
                    out.write(" ".join(n.split()) + "\n")
    return train, held
