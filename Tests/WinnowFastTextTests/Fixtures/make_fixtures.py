#!/usr/bin/env python3
"""Builds the WinnowFastText test fixtures with the reference fastText (PyPI fasttext-numpy2-wheel).

Run from the package root with the bench virtualenv:

    bench/.venv/bin/python Tests/WinnowFastTextTests/Fixtures/make_fixtures.py [--retrain]

It writes, into this folder:
  tiny-*.bin / tiny-*.ftz   small supervised models trained here on generated sentences, one per
                            loss / storage variant (trained only when missing or with --retrain);
  tiny-reference.jsonl      their predictions and subword rows for a set of probe texts;
  lid176-reference.jsonl    lid.176.ftz predictions for hand-written sentences, made the way
                            datatrove calls fastText (newlines replaced by spaces, k=-1), when
                            models/lid.176.ftz exists (scripts/fetch-models.sh).
"""
import json
import os
import random
import sys
import tempfile

import fasttext

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", "..", ".."))

# ---------------------------------------------------------------------------------------------
# Tiny models. Topics with their own words; sentences mix topic words with shared filler words,
# including accented and non-Latin words so that subword hashing of non-ASCII bytes is exercised.

TOPICS = {
    "weather": "rain snow cloud storm wind sunny forecast thunder humid météo frío Regen дождь",
    "food": "bread cheese apple soup pasta recipe bake kitchen spicy crème brûlée Käse 寿司",
    "sport": "goal match team score player referee league stadium tennis fútbol Tor футбол",
    "music": "song guitar piano melody concert album chorus drum violin chanson Lied музыка",
    "travel": "train flight hotel passport beach museum ticket luggage map voyage Reise путешествие",
}
FILLER = "the a of and to in is was it for on with as at by from this that very quite really".split()


def sentences(rng, topics, n):
    out = []
    for label, words in topics.items():
        words = words.split()
        for _ in range(n):
            k = rng.randint(4, 10)
            toks = [rng.choice(words) if rng.random() < 0.6 else rng.choice(FILLER) for _ in range(k)]
            out.append(f"__label__{label} " + " ".join(toks))
    rng.shuffle(out)
    return out


def many_label_topics(count):
    # 300 labels so that the output matrix can be product-quantised (needs ≥ 256 rows).
    rng = random.Random(7)
    syll = "ka lo mi nu pe ra si to vu xe zo ba ce di fo gu".split()
    topics = {}
    for i in range(count):
        words = {"".join(rng.choice(syll) for _ in range(rng.randint(2, 3))) for _ in range(6)}
        topics[f"c{i:03d}"] = " ".join(sorted(words))
    return topics


PROBES = [
    "rain and snow with a storm",
    "the cheese soup recipe",
    "goal for the team",
    "piano concert album",
    "passport and luggage at the hotel",
    "crème brûlée Käse",
    "дождь и Regen",
    "寿司 kitchen",
    "completely unknown tokens xyzzy",
    "",
    "   ",
    "tabs\tand\rcarriage returns\x0bvertical\x0cform",
    "before </s> after is ignored",
    "__label__food is not a word here",
    "a" * 300,
    "émoji 🎸 guitar",
]

SUBWORD_PROBES = ["rain", "guitar", "météo", "ß", "дождь", "寿司", "🎸x", "unknownword", "</s>", "a"]


def train(path, data, **kw):
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as f:
        f.write("\n".join(data) + "\n")
        name = f.name
    try:
        # The wheel's trainer sometimes fails at random with "Encountered NaN" (it reads memory
        # it did not set); a retry trains the same model.
        for attempt in range(20):
            try:
                return fasttext.train_supervised(input=name, thread=1, seed=1, verbose=0, **kw)
            except RuntimeError as e:
                if "NaN" not in str(e) or attempt == 19:
                    raise
    finally:
        os.unlink(name)


def reference(model, name, out, k=-1):
    for text in PROBES:
        labels, probs = model.predict(text, k=k, threshold=0.0)
        top_labels, top_probs = model.predict(text, k=2, threshold=0.05)
        out.write(json.dumps({
            "model": name, "text": text, "k": k,
            "labels": list(labels), "probs": [float(p) for p in probs],
            "k2_labels": list(top_labels), "k2_probs": [float(p) for p in top_probs],
            "hidden": [float(x) for x in model.get_sentence_vector(text)],
        }, ensure_ascii=False) + "\n")
    for word in SUBWORD_PROBES:
        _, ids = model.get_subwords(word)
        out.write(json.dumps({"model": name, "subwords_of": word, "rows": [int(i) for i in ids]},
                             ensure_ascii=False) + "\n")


def make_tiny(retrain):
    """Trains the tiny models (only when missing, or with --retrain) and writes their reference."""
    rng = random.Random(1)
    small = sentences(rng, TOPICS, 40)
    many = sentences(random.Random(2), many_label_topics(300), 4)
    common = dict(dim=8, epoch=10, lr=0.1, minCount=1, bucket=1000, minn=2, maxn=4)
    specs = [
        ("tiny-softmax-bigram.bin", small, dict(common, loss="softmax", wordNgrams=2)),
        ("tiny-hs.bin", small, dict(common, loss="hs")),
        ("tiny-ova.bin", small, dict(common, loss="ova", wordNgrams=3)),
        ("tiny-nosubwords.bin", small, dict(common, loss="softmax", minn=0, maxn=0)),
    ]
    path = lambda name: os.path.join(HERE, name)
    for name, data, kw in specs:
        if retrain or not os.path.exists(path(name)):
            train(name, data, **kw).save_model(path(name))
    # Quantised: pruned n-grams (cutoff), quantised norms and a quantised output matrix.
    if retrain or not os.path.exists(path("tiny-hs-qout-qnorm.ftz")):
        model = train("tiny-hs-many", many, **dict(common, loss="hs", epoch=3))
        model.quantize(input=None, qout=True, cutoff=600, retrain=False, dsub=2, qnorm=True)
        model.save_model(path("tiny-hs-qout-qnorm.ftz"))
    # Quantised with sub-vectors of 3 values (8 = 3 + 3 + 2: a shorter last sub-vector).
    if retrain or not os.path.exists(path("tiny-softmax-dsub3.ftz")):
        model = fasttext.load_model(path("tiny-softmax-bigram.bin"))
        model.quantize(input=None, qout=False, cutoff=0, retrain=False, dsub=3, qnorm=False)
        model.save_model(path("tiny-softmax-dsub3.ftz"))
    # tiny-hs.bin with its loss field (byte 32) set to ova: the small hs weights give sigmoid
    # inputs near 0, where fastText's 512-step sigmoid table differs from the exact sigmoid.
    with open(path("tiny-hs.bin"), "rb") as f:
        data = bytearray(f.read())
    assert data[32] == 1  # loss_name::hs
    data[32] = 4  # loss_name::ova
    with open(path("tiny-hs-as-ova.bin"), "wb") as f:
        f.write(data)
    with open(path("tiny-reference.jsonl"), "w") as out:
        for name, _, _ in specs:
            reference(fasttext.load_model(path(name)), name, out)
        reference(fasttext.load_model(path("tiny-hs-qout-qnorm.ftz")), "tiny-hs-qout-qnorm.ftz", out, k=12)
        reference(fasttext.load_model(path("tiny-softmax-dsub3.ftz")), "tiny-softmax-dsub3.ftz", out)
        reference(fasttext.load_model(path("tiny-hs-as-ova.bin")), "tiny-hs-as-ova.bin", out)


# ---------------------------------------------------------------------------------------------
# lid.176: hand-written sentences, predicted the way datatrove's FastTextLID does.

LID_TEXTS = [
    "The committee will publish its final report on the river restoration next spring.",
    "Bitte schließen Sie das Fenster, bevor Sie das Haus verlassen.",
    "Nous avons passé la soirée à discuter de littérature et de cinéma.",
    "El mercado abre temprano los sábados y cierra a mediodía.",
    "Il treno per Bologna parte dal binario sette tra dieci minuti.",
    "A biblioteca municipal ampliou o horário de funcionamento durante as férias.",
    "De fietsenmaker repareert mijn band voor het weekend.",
    "Вчера вечером мы долго гуляли по набережной и разговаривали о будущем.",
    "今日は雨が降っているので、家で本を読むことにしました。",
    "这家小店的面条非常好吃，每天中午都有很多人排队。",
    "يذهب الأطفال إلى المدرسة في الصباح الباكر كل يوم.",
    "Wczoraj po południu poszliśmy na długi spacer po lesie.",
    "Vi åkte till landet i helgen och plockade svamp i skogen.",
    "Bu sabah erkenden kalkıp sahilde uzun bir yürüyüş yaptım.",
    "오늘 저녁에는 친구들과 함께 새로 생긴 식당에 가기로 했어요.",
    "Το καλοκαίρι πηγαίνουμε συχνά στο νησί για διακοπές.",
    "मैं हर सुबह पार्क में टहलने जाता हूँ और ताज़ी हवा का आनंद लेता हूँ।",
    "Tänään satoi koko päivän, joten jäimme kotiin pelaamaan lautapelejä.",
    "Holnap reggel korán indulunk a hegyekbe kirándulni.",
    "Zítra ráno pojedeme vlakem do Brna navštívit babičku.",
    "Vandaag is dit baie warm, so ons gaan swem by die see.",
    "Kesho asubuhi tutaenda sokoni kununua matunda na mboga.",
    "Mi ŝatas lerni lingvojn kaj legi librojn en Esperanto.",
    "Gallia est omnis divisa in partes tres, quarum unam incolunt Belgae.",
    "Ddoe aethon ni i'r traeth a cherdded ar hyd y clogwyni.",
    "ok",
    "",
    "   \n\n  ",
    "The first line.\nDie zweite Zeile.\nLa troisième ligne.",
    "mixed English text avec quelques mots français und ein bisschen Deutsch",
    "1234 5678 90 !!! ??? ...",
    "https://example.org/path?query=value&lang=en",
    "word\tseparated\tby\ttabs\rand a carriage return",
    "the end token </s> inside the text stops the line",
    "__label__de this token looks like a label",
    "😀 🎉 🚀 emoji only and then some English words",
    "supercalifragilisticexpialidocious" * 5,
    "नमस्ते दुनिया",
    "Привет, как дела? Hello, how are you?",
    "a\x00b nul separated",
]


def make_lid():
    path = os.path.join(ROOT, "models", "lid.176.ftz")
    if not os.path.exists(path):
        print(f"skipping lid176-reference.jsonl: {path} is missing (scripts/fetch-models.sh)", file=sys.stderr)
        return
    model = fasttext.load_model(path)
    with open(os.path.join(HERE, "lid176-reference.jsonl"), "w") as out:
        for text in LID_TEXTS:
            labels, probs = model.predict(text.replace("\n", " "), k=-1)
            out.write(json.dumps({"text": text, "labels": list(labels), "probs": [float(p) for p in probs]},
                                 ensure_ascii=False) + "\n")


if __name__ == "__main__":
    make_tiny(retrain="--retrain" in sys.argv)
    make_lid()
