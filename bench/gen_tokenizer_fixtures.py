"""Writes Tests/WinnowTextTests/Fixtures/spacy_en_tokens.jsonl (and nltk_tokens.jsonl when NLTK's
Punkt model is installed): hard strings and slices of real text with datatrove's word tokens
(SpaCyTokenizer("en"), NLTKTokenizer("english")).
Run: bench/.venv/bin/python bench/gen_tokenizer_fixtures.py [corpus.jsonl]"""
import json
import os
import random
import sys

from datatrove.utils.word_tokenizers import NLTKTokenizer, SpaCyTokenizer

HARD = [
    "", "   \n\t ", "Hello, world!", "I don't think it's fine.", "She said \"yes\" (twice).",
    "e.g. this, i.e. that; Mr. Smith's car costs $3.50 or 10km/h at 5pm.",
    "Visit https://example.com/a-b?c=d or www.test.org, mail me@example.com.",
    "well-known state-of-the-art 3-4 2+2 U.S.A. A.B. end.Next word...",
    "東京都に住んでいます。 我爱北京天安门！", "I ❤️ emoji 🙂🙂 and #hashtags @user",
    "can't won't shouldn't y'all 'tis o'clock rock'n'roll", "Wait... what?! Really?!?",
    "(parenthetical) [bracket] {curly} <angle> «guillemets» „German“",
    "100% 50°C 25.5°F. 3.14 1,000,000 1.2.3.4 10:30 a.m.", "--dash — em – en", "...leading and trailing...",
    "ALL CAPS SENTENCE. ANOTHER ONE!", "file.txt config.yaml Some.Thing", "a/b c:d x=y", "£5 €10 US$20 C$3",
    "word\u00a0nbsp\u2003emspace\u3000ideographic", "tab\tsep\x0bvt\x0cff\x1cfs\x1dgs\x1ers\x85nel\u2028ls",
    "It's John's book and the students' books.", "Don't DON'T Can't CAN'T", ":) :-( ;) <3 :D", "1st 2nd 3rd 4th",
]


def main():
    corpus = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(os.path.abspath(__file__)), "data", "text-corpus.jsonl")
    rng = random.Random(7)
    docs = [json.loads(line)["text"] for line in open(corpus)]
    texts = list(HARD)
    for d in rng.sample(docs, 400):
        if not d:
            continue
        a = rng.randrange(0, max(1, len(d) - 1500))
        texts.append(d[a:a + 1500])
    sp = SpaCyTokenizer("en")
    nl = NLTKTokenizer("english")
    with open("Tests/WinnowTextTests/Fixtures/spacy_en_tokens.jsonl", "w") as f:
        for t in texts:
            f.write(json.dumps({"text": t, "tokens": sp.word_tokenize(t)}, ensure_ascii=False) + "\n")
    try:
        rows = [{"text": t, "tokens": nl.word_tokenize(t)} for t in texts]
    except LookupError:
        print("NLTK Punkt model not installed: nltk_tokens.jsonl not written", file=sys.stderr)
        return
    with open("Tests/WinnowTextTests/Fixtures/nltk_tokens.jsonl", "w") as f:
        for r in rows:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")


main()
