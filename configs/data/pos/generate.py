#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# This file is part of rnnlab.
"""Generate rnnlab's default part-of-speech corpus (CoNLL-U, UPOS tags).

Everything in this file -- the grammar, the lexicon, the sentence patterns
and the hand-written sentences -- was written for rnnlab.  No existing
corpus or treebank was used.  The script is deterministic (fixed seed) and
needs only the Python 3 standard library.

    python3 generate.py           # write train/dev/test.conllu and README.md
    python3 generate.py --check   # only validate the existing .conllu files

Conventions (following UD English): 'to' before a verb is PART, copula and
auxiliaries are AUX, 'not'/"n't" and possessive "'s" are PART, possessive
pronouns are PRON, clitic contractions ("don't", "I'm", "Anna's") are
multiword tokens.  HEAD and DEPREL are not annotated ('_' everywhere).
"""

import os
import random
import re
import sys
from collections import Counter, defaultdict

HERE = os.path.dirname(os.path.abspath(__file__))
SEED = 20240917
N_GENERATED = 1250            # generated sentences wanted (after de-duplication)
SPLITS = (("train", 0.8), ("dev", 0.1), ("test", 0.1))
MIN_LEN, MAX_LEN = 3, 30

UPOS = ("ADJ ADP ADV AUX CCONJ DET INTJ NOUN NUM PART PRON PROPN PUNCT "
        "SCONJ SYM VERB X").split()

# Words whose tag depends on context; each must show >= 2 UPOS tags in train.
AMBIGUOUS = ("book saw can play run watch light back fly park set that like "
             "round well last open fast duck train rock face cook water plant "
             "walk help paint ring sign show clean empty close home still right "
             "left one there to have do before after since until may out "
             "as").split()


# ---------------------------------------------------------------- tokens

class Tok:
    __slots__ = ("form", "upos", "xpos", "lemma")

    def __init__(self, form, upos, xpos, lemma=None):
        if upos not in UPOS:
            raise ValueError("bad UPOS %r for %r" % (upos, form))
        if lemma is None:
            lemma = form if upos == "PROPN" or form == "I" else form.lower()
        self.form, self.upos, self.xpos, self.lemma = form, upos, xpos, lemma

    def with_form(self, form):
        return Tok(form, self.upos, self.xpos, self.lemma)

    def parts(self):
        return [self]


class MWT:
    """A multiword token: surface form plus its syntactic words."""
    __slots__ = ("form", "parts_")

    def __init__(self, form, parts):
        assert form == "".join(p.form for p in parts), (form, [p.form for p in parts])
        self.form, self.parts_ = form, parts

    def with_form(self, form):
        p0 = self.parts_[0]
        first = p0.with_form(form[:len(p0.form)])
        return MWT(form, [first] + self.parts_[1:])

    def parts(self):
        return self.parts_


def _cap(u):
    if u.form[:1].islower():
        return u.with_form(u.form[0].upper() + u.form[1:])
    return u


def capfirst(units):
    """Capitalise the first word, and the word after an inner '!' or '?'."""
    units = list(units)
    i = 0
    while i < len(units) and units[i].form in ('"', "("):
        i += 1
    if i < len(units):
        units[i] = _cap(units[i])
    for k in range(1, len(units) - 1):
        if units[k - 1].form in ("!", "?") and units[k].form not in ('"', ")", ".", "!", "?"):
            units[k] = _cap(units[k])
    return units


# ---------------------------------------------------------------- lexicon

LEX = defaultdict(list)         # lower-case form -> [(upos, xpos, lemma)]


def lex(form, upos, xpos, lemma=None):
    if lemma is None:
        lemma = form if upos == "PROPN" or form == "I" else form.lower()
    e = (upos, xpos, lemma)
    if e not in LEX[form.lower()]:
        LEX[form.lower()].append(e)


CLOSED = """
the DET DT|a DET DT|an DET DT a|this DET DT|these DET DT this|those DET DT that
that DET DT|every DET DT|each DET DT|some DET DT|any DET DT|no DET DT|all DET DT
another DET DT|what DET WDT|which DET WDT|both DET DT|many ADJ JJ|much ADJ JJ
few ADJ JJ|several ADJ JJ|more ADJ JJR|most ADJ JJS|enough ADJ JJ
that PRON DT|that PRON WDT|that SCONJ IN|this PRON DT|those PRON DT that
what PRON WP|which PRON WDT|who PRON WP|whoever PRON WP|whose PRON WP$ who
I PRON PRP I|me PRON PRP I|you PRON PRP you|he PRON PRP he|him PRON PRP he
she PRON PRP she|her PRON PRP she|her PRON PRP$ she|it PRON PRP it|we PRON PRP we
us PRON PRP we|they PRON PRP they|them PRON PRP they|my PRON PRP$ my
your PRON PRP$ your|his PRON PRP$ he|its PRON PRP$ its|our PRON PRP$ we
their PRON PRP$ they|mine PRON PRP my|yours PRON PRP your|ours PRON PRP our
myself PRON PRP myself|yourself PRON PRP yourself|himself PRON PRP himself
herself PRON PRP herself|itself PRON PRP itself|ourselves PRON PRP ourselves
themselves PRON PRP themselves|something PRON NN|everything PRON NN
nothing PRON NN|anything PRON NN|someone PRON NN|somebody PRON NN
everyone PRON NN|everybody PRON NN|nobody PRON NN|anyone PRON NN|anybody PRON NN
one PRON NN|there PRON EX|there ADV RB
am AUX VBP be|is AUX VBZ be|are AUX VBP be|was AUX VBD be|were AUX VBD be
be AUX VB be|been AUX VBN be|being AUX VBG be
has AUX VBZ have|had AUX VBD have|does AUX VBZ do|did AUX VBD do
have AUX VBP have|do AUX VBP do
will AUX MD will|would AUX MD would|can AUX MD can|could AUX MD could
shall AUX MD shall|should AUX MD should|may AUX MD may|might AUX MD might
must AUX MD must
in ADP IN|on ADP IN|at ADP IN|to ADP IN|from ADP IN|with ADP IN|for ADP IN
of ADP IN|by ADP IN|about ADP IN|under ADP IN|over ADP IN|near ADP IN
behind ADP IN|across ADP IN|through ADP IN|into ADP IN|onto ADP IN
after ADP IN|before ADP IN|during ADP IN|without ADP IN|like ADP IN
round ADP IN|around ADP IN|along ADP IN|past ADP IN|between ADP IN
since ADP IN|until ADP IN|than ADP IN|inside ADP IN|outside ADP IN
beside ADP IN|towards ADP IN|except ADP IN|against ADP IN|among ADP IN
as ADP IN|up ADP IN|down ADP IN|off ADP IN|out ADP IN|per ADP IN
and CCONJ CC|or CCONJ CC|but CCONJ CC|nor CCONJ CC|&amp; CCONJ CC
that SCONJ IN|because SCONJ IN|if SCONJ IN|while SCONJ IN|although SCONJ IN
though SCONJ IN|before SCONJ IN|after SCONJ IN|since SCONJ IN
until SCONJ IN|whether SCONJ IN|as SCONJ IN|unless SCONJ IN
to PART TO|not PART RB|n't PART RB not
oh INTJ UH|yes INTJ UH|no INTJ UH|well INTJ UH|hello INTJ UH|hi INTJ UH
please INTJ UH|wow INTJ UH|hey INTJ UH|ouch INTJ UH|goodbye INTJ UH
one NUM CD|two NUM CD|three NUM CD|four NUM CD|five NUM CD|six NUM CD
seven NUM CD|eight NUM CD|nine NUM CD|ten NUM CD|eleven NUM CD|twelve NUM CD
fifteen NUM CD|twenty NUM CD|thirty NUM CD|forty NUM CD|fifty NUM CD
hundred NUM CD|thousand NUM CD|million NUM CD
first ADJ JJ|second ADJ JJ|third ADJ JJ|next ADJ JJ|last ADJ JJ|other ADJ JJ
very ADV RB|really ADV RB|quite ADV RB|too ADV RB|also ADV RB|just ADV RB
already ADV RB|soon ADV RB|now ADV RB|here ADV RB|then ADV RB|often ADV RB
always ADV RB|never ADV RB|sometimes ADV RB|usually ADV RB|again ADV RB
later ADV RB|early ADV RB|late ADV RB|fast ADV RB|well ADV RB|back ADV RB
home ADV RB|away ADV RB|together ADV RB|outside ADV RB|inside ADV RB
upstairs ADV RB|downstairs ADV RB|still ADV RB|even ADV RB|almost ADV RB
only ADV RB|quickly ADV RB|slowly ADV RB|carefully ADV RB|quietly ADV RB
loudly ADV RB|happily ADV RB|suddenly ADV RB|finally ADV RB|ago ADV RB
hard ADV RB|ever ADV RB|so ADV RB|where ADV WRB|when ADV WRB|why ADV WRB
how ADV WRB|about ADV RB|nearly ADV RB|round ADV RB|last ADV RB|twice ADV RB
once ADV RB|beautifully ADV RB|patiently ADV RB|gently ADV RB|easily ADV RB
alone ADV RB|south ADV RB|north ADV RB|ahead ADV RB|abroad ADV RB
anywhere ADV RB|everywhere ADV RB|somewhere ADV RB|tonight ADV RB
right ADV RB|left ADV RB|straight ADV RB|online ADV RB|maybe ADV RB
perhaps ADV RB|probably ADV RB|instead ADV RB|rather ADV RB|more ADV RBR
most ADV RBS|out ADV RB|up ADV RB|down ADV RB|low ADV RB|high ADV RB
yesterday NOUN NN|today NOUN NN|tomorrow NOUN NN
$ SYM $|% SYM NN|+ SYM SYM|= SYM SYM
"""


def _load_closed():
    for line in CLOSED.strip().splitlines():
        for item in line.split("|"):
            f = item.split()
            form = f[0].replace("&amp;", "&")
            lex(form, f[1], f[2], f[3] if len(f) > 3 else None)


_load_closed()
LEX["tonight"] = [("NOUN", "NN", "tonight")]    # UD EWT treats it like 'today'

PUNCT = {".": ".", ",": ",", "?": ".", "!": ".", ";": ":", ":": ":",
         "(": "-LRB-", ")": "-RRB-", "-": "HYPH", "...": ":", '"': "``"}
NUMRE = re.compile(r"^\d+([.,:]\d+)*$")

NAMES_F = "Anna Maria Lucy Priya Grace Nina Emma Mei Hana Sara Ella Zoe Ines Marta Olga Ruth".split()
NAMES_M = "Tom David Sam Ben Omar Leo Jack Yusuf Carlos Peter Ravi Noah Kofi Felix Tariq Hugo".split()
SURNAMES = "Patel Okafor Novak Garcia Chen Larsen Costa Moreau Haddad Kim Brown Silva".split()
CITIES = ("London Paris Chicago Boston Lisbon Cairo Oslo Kyoto Madrid Toronto Dublin "
          "Nairobi Lima Seoul Vienna Denver Glasgow Mumbai Sydney Prague").split()
DAYS = "Monday Tuesday Wednesday Thursday Friday Saturday Sunday".split()
MONTHS = ("January February March April May June July August September October "
          "November December").split()
STREETS = ["Mill Road", "Green Street", "Station Road", "King Street", "Park Lane",
           "Church Street", "Bridge Street", "Hill Road", "Market Street"]
OTHER_PROPN = ("Mrs. Mr. Dr. French Spanish English Ramadan Grandpa Grandma Europe "
               "Africa Japan Spain Italy Canada Christmas Easter").split()

for _w in NAMES_F + NAMES_M + SURNAMES + CITIES + DAYS + MONTHS + OTHER_PROPN:
    lex(_w, "PROPN", "NNP")
for _s in STREETS:
    for _w in _s.split():
        lex(_w, "PROPN", "NNP")
for _d in DAYS:
    lex(_d + "s", "PROPN", "NNPS", _d)

# Nouns: class: sg/pl[+extra adjectives]  ('-' plural = mass noun,
# '!' after the plural = no class adjectives)
NOUN_DATA = """
person: teacher/teachers doctor/doctors farmer/farmers neighbor/neighbors student/students child/children baker/bakers driver/drivers nurse/nurses woman/women man/men boy/boys girl/girls friend/friends sister/sisters brother/brothers pilot/pilots waiter/waiters artist/artists singer/singers player/players coach/coaches runner/runners uncle/uncles aunt/aunts cousin/cousins guest/guests tourist/tourists manager/managers cook/cooks engineer/engineers grandmother/grandmothers grandfather/grandfathers mother/mothers father/fathers person/people parent/parents kid/kids
baby: baby/babies
animal: dog/dogs cat/cats bird/birds horse/horses duck/ducks cow/cows rabbit/rabbits fox/foxes goat/goats owl/owls sheep/sheep bee/bees fish/fish fly/flies!
thing: book/books bag/bags+light,empty key/keys cup/cups+empty box/boxes+empty,light,open letter/letters ball/balls+round phone/phones camera/cameras watch/watches lamp/lamps saw/saws+sharp can/cans+empty rock/rocks+round umbrella/umbrellas bottle/bottles+empty,open hat/hats coat/coats+light ticket/tickets map/maps pen/pens knife/knives+sharp plate/plates+round,empty kite/kites candle/candles chair/chairs table/tables+round clock/clocks+round radio/radios newspaper/newspapers guitar/guitars piano/pianos photo/photos note/notes basket/baskets+empty shirt/shirts blanket/blankets+light stove/stoves alarm/alarms window/windows+open door/doors+open,back computer/computers set/sets tool/tools jacket/jackets+light gate/gates+open,back bell/bells ring/rings sign/signs fence/fences wall/walls dish/dishes
food: bread/- soup/- cake/cakes apple/apples cheese/- rice/- pie/pies egg/eggs orange/oranges tomato/tomatoes sandwich/sandwiches peach/peaches bean/beans dinner/dinners+light lunch/lunches+light breakfast/breakfasts+light pizza/pizzas salad/salads cookie/cookies
drink: coffee/-+strong tea/-+strong water/-+fresh milk/-+fresh juice/-+fresh
vehicle: train/trains+last,fast,early,crowded bus/buses+last,early,crowded car/cars+fast bike/bikes+fast boat/boats plane/planes ship/ships truck/trucks van/vans taxi/taxis
event: play/plays game/games+last match/matches+last film/films show/shows race/races+last concert/concerts party/parties meeting/meetings+last lesson/lessons+last festival/festivals trip/trips run/runs walk/walks round/rounds!+last,first class/classes+last storm/storms flight/flights+last,early
building: station/stations market/markets library/libraries kitchen/kitchens school/schools office/offices shop/shops museum/museums hospital/hospitals airport/airports cafe/cafes bakery/bakeries hotel/hotels cinema/cinemas room/rooms house/houses restaurant/restaurants theater/theaters stadium/stadiums
outdoor: park/parks garden/gardens+back beach/beaches river/rivers bridge/bridges village/villages forest/forests field/fields lake/lakes square/squares harbor/harbors yard/yards+back hill/hills street/streets corner/corners! well/wells!+old,deep,dry pond/ponds road/roads farm/farms
abstract: problem/problems question/questions idea/ideas plan/plans story/stories song/songs report/reports message/messages recipe/recipes answer/answers job/jobs news/- music/- weather/- help/- work/- light/lights face/faces back/backs fire/fires sunset/sunsets team/teams seat/seats flower/flowers plant/plants tree/trees paint/- money/- homework/- day/days week/weeks year/years hour/hours minute/minutes morning/mornings evening/evenings night/nights month/months afternoon/afternoons weekend/weekends summer/summers winter/winters spring/springs autumn/autumns sky/skies rain/- snow/- wind/- time/times lot/lots way/ways home/homes town/towns bed/beds birthday/birthdays
"""

CLASS_ATTR = {
    "person": "young old tall kind tired happy busy friendly new quiet clever",
    "baby": "little happy tired",
    "animal": "small big old young brown black white hungry friendly noisy",
    "thing": "old new small big heavy red blue green black cheap expensive",
    "food": "fresh warm hot sweet delicious",
    "drink": "hot cold",
    "vehicle": "slow old new red blue",
    "event": "long short great",
    "building": "quiet busy small big old new",
    "outdoor": "quiet small big old beautiful",
    "abstract": "",
}
CLASS_PRED = {
    "person": "tired happy hungry busy late ready sure right afraid kind angry tall",
    "baby": "tired happy hungry",
    "animal": "hungry tired quiet friendly noisy small big old young",
    "thing": "new old cheap expensive heavy small big",
    "food": "hot cold fresh delicious sweet ready",
    "drink": "hot cold",
    "vehicle": "slow late early full empty crowded new old",
    "event": "long short great boring",
    "building": "quiet busy crowded open empty clean small big old new",
    "outdoor": "quiet beautiful small big busy",
    "abstract": "",
}
ATTR_ONLY = {"back", "last", "first"}
ADJ_WORDS = set(" ".join(CLASS_ATTR.values()).split()) | set(" ".join(CLASS_PRED.values()).split())
ADJ_WORDS |= set(("light empty open sharp round back last first fast early strong deep dry "
                  "boring crowded delicious noisy clean full ready sure right afraid angry "
                  "beautiful expensive cheap warm cold hot sweet fresh good bad great nice "
                  "lovely important difficult easy simple strange dark bright wet windy "
                  "sunny rainy healthy low narrow wide brave roast local whole own famous "
                  "comfortable interesting dangerous careful sick well free close left "
                  "still dirty high proud polite huge tiny silver wooden red").split())
ADJ_COMP = {"big": "bigger", "small": "smaller", "old": "older", "young": "younger",
            "fast": "faster", "light": "lighter", "heavy": "heavier", "cheap": "cheaper",
            "tall": "taller", "long": "longer", "short": "shorter", "quiet": "quieter",
            "slow": "slower", "busy": "busier", "warm": "warmer", "sweet": "sweeter",
            "fresh": "fresher", "hot": "hotter", "cold": "colder", "happy": "happier",
            "kind": "kinder", "new": "newer", "sharp": "sharper", "clean": "cleaner",
            "strong": "stronger", "noisy": "noisier", "early": "earlier", "deep": "deeper",
            "good": "better", "bad": "worse", "dark": "darker", "bright": "brighter",
            "easy": "easier", "wide": "wider", "high": "higher", "low": "lower"}
ADJ_SUP = {"good": "best", "bad": "worst", "big": "biggest", "small": "smallest",
           "old": "oldest", "fast": "fastest", "cheap": "cheapest", "tall": "tallest",
           "long": "longest", "quiet": "quietest", "busy": "busiest", "young": "youngest"}

for _a in ADJ_WORDS:
    lex(_a, "ADJ", "JJ")
for _a, _c in ADJ_COMP.items():
    lex(_c, "ADJ", "JJR", _a)
for _a, _c in ADJ_SUP.items():
    lex(_c, "ADJ", "JJS", _a)


class Noun:
    def __init__(self, sg, pl, cls, attr, pred):
        self.sg, self.pl, self.cls = sg, pl, cls
        self.mass = pl is None
        self.attr, self.pred = attr, pred


NOUNS = {}
CLASS_NOUNS = defaultdict(list)


def _load_nouns():
    for line in NOUN_DATA.strip().splitlines():
        cls, items = line.split(":", 1)
        for item in items.split():
            extra = []
            if "+" in item:
                item, ex = item.split("+", 1)
                extra = ex.split(",")
            noclass = item.endswith("!")
            item = item.rstrip("!")
            sg, pl = item.split("/")
            pl = None if pl == "-" else pl
            base_attr = [] if noclass else CLASS_ATTR[cls].split()
            base_pred = [] if noclass else CLASS_PRED[cls].split()
            attr = base_attr + extra
            pred = base_pred + [e for e in extra if e not in ATTR_ONLY]
            n = Noun(sg, pl, cls, attr, pred)
            key = sg if sg not in NOUNS else sg + "_" + cls
            NOUNS[key] = n
            CLASS_NOUNS[cls].append(key)
            lex(sg, "NOUN", "NN")
            if pl:
                lex(pl, "NOUN", "NNS", sg)


_load_nouns()
PLACE_CLASSES = ("building", "outdoor")

PLACE_PREPS = {
    "park": "in near behind across round through", "station": "at near outside behind",
    "market": "at in near", "library": "in at near outside", "kitchen": "in",
    "garden": "in", "school": "at near behind", "beach": "on near along",
    "office": "in at near", "river": "near along across by", "bridge": "on near under across",
    "village": "in near", "shop": "in at near outside behind", "museum": "in at near outside",
    "hospital": "at near", "airport": "at near", "forest": "in near through",
    "field": "in across", "lake": "near by round", "square": "in across",
    "harbor": "in near", "cafe": "in at near outside", "bakery": "at near outside",
    "hotel": "at near outside", "cinema": "at near outside", "yard": "in",
    "hill": "on up", "street": "on across along down", "corner": "at round",
    "well": "near by", "room": "in", "house": "in near behind outside",
    "restaurant": "in at near", "theater": "at near outside", "stadium": "at near outside",
    "pond": "near by round", "road": "on along across down", "farm": "on near",
}

# Verbs: key, forms (base 3sg past participle gerund), subject classes
# (class names or n:noun), objects (noun[:sg|:pl]), options.
VERB_DATA = [
    ("read", "read reads read read reading", "person", "book letter map newspaper story note message recipe report sign", "places=library,park,garden,kitchen,cafe,office adv=quietly,slowly intr"),
    ("write", "write writes wrote written writing", "person", "letter note story song report message", "places=kitchen,office,library,cafe"),
    ("buy", "buy buys bought bought buying", "person", "book ticket bread cake apple coat hat watch bike camera umbrella cheese kite lamp saw jacket flower", "places=market,shop,bakery,station"),
    ("sell", "sell sells sold sold selling", "person", "car bike book cake bread ticket watch camera house flower", "places=market,shop"),
    ("cook", "cook cooks cooked cooked cooking", "person", "soup rice dinner egg lunch breakfast pizza bean:pl", "places=kitchen adv=well,slowly intr"),
    ("eat", "eat eats ate eaten eating", "person", "apple bread cake soup sandwich pie egg orange rice cheese peach cookie salad lunch breakfast dinner pizza", "places=kitchen,garden,park,cafe adv=slowly,quickly intr"),
    ("drink", "drink drinks drank drunk drinking", "person", "coffee tea water milk juice", "places=kitchen,cafe,garden"),
    ("book", "book books booked booked booking", "person", "table room flight ticket seat trip taxi", ""),
    ("watch", "watch watches watched watched watching", "person", "game film show match race play sunset", "places=park,garden,cinema,theater,stadium"),
    ("play", "play plays played played playing", "person", "game piano guitar song music match", "places=park,garden,yard,field adv=well,outside,together intr"),
    ("set", "set sets set set setting", "person", "table alarm clock", ""),
    ("open", "open opens opened opened opening", "person", "door window box letter bottle shop gate", ""),
    ("close", "close closes closed closed closing", "person", "door window box shop book gate", ""),
    ("light", "light lights lit lit lighting", "person", "candle fire lamp stove", ""),
    ("see", "see sees saw seen seeing", "person", "bird train film duck fox owl ship plane friend rock light storm", "places=park,lake,river,station,forest,field,harbor stative"),
    ("use", "use uses used used using", "person", "saw knife map phone camera pen computer tool", ""),
    ("fly_t", "fly flies flew flown flying", "person", "kite plane", "places=park,field,beach,hill"),
    ("park", "park parks parked parked parking", "person", "car bike truck van bus", "places=behind:shop,outside:bakery,near:station,behind:school,outside:hotel,near:market,behind:library"),
    ("train", "train trains trained trained training", "person", "dog horse team player runner", ""),
    ("face", "face faces faced faced facing", "person", "problem question storm", ""),
    ("rock", "rock rocks rocked rocked rocking", "person", "baby boat", "adv=gently"),
    ("can", "can cans canned canned canning", "person", "tomato:pl peach:pl bean:pl", "places=kitchen"),
    ("back", "back backs backed backed backing", "person", "plan idea team", ""),
    ("wash", "wash washes washed washed washing", "person", "car cup plate shirt dog window dish:pl", ""),
    ("clean", "clean cleans cleaned cleaned cleaning", "person", "kitchen room car window table house", ""),
    ("fix", "fix fixes fixed fixed fixing", "person", "bike radio lamp clock car chair computer fence", ""),
    ("carry", "carry carries carried carried carrying", "person", "bag box basket chair", ""),
    ("find", "find finds found found finding", "person", "key map phone bag ticket umbrella watch", ""),
    ("lose", "lose loses lost lost losing", "person", "key ticket phone umbrella map watch game match", ""),
    ("bring", "bring brings brought brought bringing", "person", "cake bread umbrella map camera guitar salad", ""),
    ("visit", "visit visits visited visited visiting", "person", "museum library village market aunt uncle grandmother friend", ""),
    ("paint", "paint paints painted painted painting", "person", "house room door chair fence wall", ""),
    ("water", "water waters watered watered watering", "person", "plant:pl flower:pl garden tree:pl", ""),
    ("plant", "plant plants planted planted planting", "person", "tree flower:pl bean:pl tomato:pl", "places=garden,yard,field"),
    ("pack", "pack packs packed packed packing", "person", "bag basket box lunch", ""),
    ("fill", "fill fills filled filled filling", "person", "bottle cup basket box", ""),
    ("empty", "empty empties emptied emptied emptying", "person", "box bottle basket bag cup", ""),
    ("meet", "meet meets met met meeting", "person", "friend cousin teacher neighbor coach aunt", "places=station,cafe,park,airport,library"),
    ("call", "call calls called called calling", "person", "doctor taxi friend mother", ""),
    ("help", "help helps helped helped helping", "person", "neighbor child teacher friend grandmother", ""),
    ("catch", "catch catches caught caught catching", "person", "bus train ball taxi", ""),
    ("miss", "miss misses missed missed missing", "person", "bus train flight concert", ""),
    ("take", "take takes took taken taking", "person", "bus train taxi photo umbrella", ""),
    ("order", "order orders ordered ordered ordering", "person", "pizza coffee tea salad taxi soup", ""),
    ("bake", "bake bakes baked baked baking", "person", "cake bread pie cookie", "places=kitchen,bakery"),
    ("borrow", "borrow borrows borrowed borrowed borrowing", "person", "book saw bike umbrella camera pen", ""),
    ("hold", "hold holds held held holding", "person", "baby cup map", ""),
    ("drop", "drop drops dropped dropped dropping", "person", "cup plate key pen", ""),
    ("kick", "kick kicks kicked kicked kicking", "person", "ball", "places=park,yard,field,garden"),
    ("climb", "climb climbs climbed climbed climbing", "person", "hill tree wall", ""),
    ("cross", "cross crosses crossed crossed crossing", "person", "street bridge river road", ""),
    ("need", "need needs needed needed needing", "person", "help money ticket map umbrella", "stative"),
    ("want", "want wants wanted wanted wanting", "person", "cake ticket bike coffee", "stative"),
    ("like", "like likes liked liked liking", "person", "tea coffee music film cake song", "stative"),
    ("love", "love loves loved loved loving", "person", "music cake song film", "stative"),
    ("have", "have has had had having", "person", "dog cat bike car ticket question idea plan problem", "stative"),
    ("do", "do does did done doing", "person", "homework dish:pl", ""),
    ("show", "show shows showed shown showing", "person", "photo map ticket", ""),
    ("ring", "ring rings rang rung ringing", "person", "bell:sg", ""),
    ("sign", "sign signs signed signed signing", "person", "letter report", ""),
    ("walk_t", "walk walks walked walked walking", "person", "dog", "places=park,beach,street,field"),
    # intransitive
    ("sleep", "sleep sleeps slept slept sleeping", "person animal n:baby", "", "adv=well,late,outside places=garden,hotel"),
    ("laugh", "laugh laughs laughed laughed laughing", "person n:baby", "", "adv=loudly,quietly"),
    ("smile", "smile smiles smiled smiled smiling", "person n:baby", "", "adv=happily"),
    ("wait", "wait waits waited waited waiting", "person", "", "adv=outside,patiently places=station,cafe,airport,library prep=for:bus,train,taxi,friend,doctor"),
    ("arrive", "arrive arrives arrived arrived arriving", "person vehicle", "", "adv=late,early,last places=at:station,at:airport,at:hotel,at:school,at:office"),
    ("leave", "leave leaves left left leaving", "person vehicle", "", "adv=early,late"),
    ("sing", "sing sings sang sung singing", "person n:bird", "", "adv=well,loudly,beautifully"),
    ("dance", "dance dances danced danced dancing", "person", "", "adv=well,together"),
    ("swim", "swim swims swam swum swimming", "person n:duck n:dog n:fish", "", "adv=well,fast places=in:lake,in:river,across:lake,across:river"),
    ("run", "run runs ran run running", "person n:dog n:horse n:fox n:rabbit", "", "adv=fast,quickly,home,back,away places=park,beach,field,forest"),
    ("fly_i", "fly flies flew flown flying", "n:bird n:duck n:plane n:owl n:bee", "", "adv=away,south,low,high places=over:lake,over:river,over:field,over:village,over:forest,across:sky"),
    ("walk_i", "walk walks walked walked walking", "person", "", "adv=home,back,slowly,together places=park,beach,river,street,bridge"),
    ("cry", "cry cries cried cried crying", "person n:baby n:baby", "", "adv=quietly"),
    ("jump", "jump jumps jumped jumped jumping", "person animal", "", "places=into:lake,into:river,over:fence,over:wall"),
    ("work", "work works worked worked working", "person", "", "adv=hard,late,together places=at:hospital,at:office,at:bakery,at:school,at:library,at:hotel,at:cafe,at:market,on:farm"),
    ("rest", "rest rests rested rested resting", "person animal", "", "adv=quietly places=garden,park"),
    ("bark", "bark barks barked barked barking", "n:dog", "", "adv=loudly"),
    ("fish", "fish fishes fished fished fishing", "person", "", "places=in:lake,in:river,in:harbor,off:bridge"),
    ("come", "come comes came come coming", "person", "", "adv=back,home,early,late,round need"),
    ("go", "go goes went gone going", "person", "", "adv=home,back,abroad places=to:park,to:market,to:library,to:beach,to:museum,to:cinema,to:station,to:theater need"),
    ("turn", "turn turns turned turned turning", "person", "", "adv=round,back,left,right need"),
    ("stay", "stay stays stayed stayed staying", "person", "", "adv=home,late,inside places=at:hotel,in:village need"),
    ("sit", "sit sits sat sat sitting", "person animal", "", "places=in:garden,in:kitchen,by:window,on:bench,near:fire,in:sun need"),
    ("duck", "duck ducks ducked ducked ducking", "person", "", "places=behind:car,under:table,behind:wall,behind:tree,under:branch need"),
    ("last", "last lasts lasted lasted lasting", "n:storm n:meeting n:concert n:party n:game n:play n:match n:festival n:film n:trip", "", "dur stative"),
    # prepositional and phrasal
    ("look", "look looks looked looked looking", "person", "", "prep=at:map,photo,sign,sunset,clock,sky;for:key,phone,ticket,umbrella,cat,dog"),
    ("listen", "listen listens listened listened listening", "person", "", "prep=to:radio,music,song,teacher,story"),
    ("talk", "talk talks talked talked talking", "person", "", "prep=to:teacher,neighbor,friend,doctor;about:plan,trip,film,weather,problem"),
    ("think", "think thinks thought thought thinking", "person", "", "prep=about:plan,idea,problem,question,trip"),
    ("ask", "ask asks asked asked asking", "person", "", "prep=for:help,money,map,ticket"),
    ("pick", "pick picks picked picked picking", "person", "", "prt=up:book,bag,key,ball,phone,box"),
    ("turn_p", "turn turns turned turned turning", "person", "", "prt=off:light,radio,lamp,stove,alarm,computer;on:light,radio,lamp,stove,computer"),
    ("put", "put puts put put putting", "person", "", "prt=on:coat,hat,jacket,shirt;down:bag,cup,book,box"),
    ("clean_p", "clean cleans cleaned cleaned cleaning", "person", "", "prt=up:kitchen,room,yard"),
    ("write_p", "write writes wrote written writing", "person", "", "prt=down:answer,message,note"),
]

EXTRA_NOUNS = "bench/benches sun/- branch/branches"
for _item in EXTRA_NOUNS.split():
    _sg, _pl = _item.split("/")
    NOUNS[_sg] = Noun(_sg, None if _pl == "-" else _pl, "thing", [], [])
    lex(_sg, "NOUN", "NN")
    if _pl != "-":
        lex(_pl, "NOUN", "NNS", _sg)


class Verb:
    def __init__(self, key, forms, subj, objs, opts):
        f = forms.split()
        self.key = key
        self.base, self.s3, self.past, self.pp, self.ing = f
        self.subj = subj.split()
        self.objs = objs.split()
        self.places, self.adv, self.prep, self.prt = [], [], [], []
        self.intr = self.need = self.stative = self.dur = False
        for o in opts.split():
            if o == "intr":
                self.intr = True
            elif o == "need":
                self.need = True
            elif o == "stative":
                self.stative = True
            elif o == "dur":
                self.dur = True
            else:
                k, v = o.split("=")
                if k in ("places", "adv"):
                    setattr(self, k, v.split(","))
                else:       # prep / prt: p1:n,n;p2:n,n
                    lst = []
                    for grp in v.split(";"):
                        p, ns = grp.split(":")
                        lst.append((p, ns.split(",")))
                    setattr(self, k, lst)
        lemma = self.base
        for form, xp in ((self.base, "VB"), (self.base, "VBP"), (self.s3, "VBZ"),
                         (self.past, "VBD"), (self.pp, "VBN"), (self.ing, "VBG")):
            lex(form, "VERB", xp, lemma)

    def tok(self, xpos):
        form = {"VB": self.base, "VBP": self.base, "VBZ": self.s3, "VBD": self.past,
                "VBN": self.pp, "VBG": self.ing}[xpos]
        return Tok(form, "VERB", xpos, self.base)


VERBS = {}
for _k, _f, _s, _o, _opt in VERB_DATA:
    VERBS[_k] = Verb(_k, _f, _s, _o, _opt)

# Further open-class words used by patterns and the hand-written sentences.
EXTRA = """
NOUN NN: restaurant shelf shed opener cupboard autumn chess corridor picnic mat sea fridge
NOUN NN: marathon platform ice pond carpenter row boxer bowl gate birthday living package
NOUN NN: dessert envelope lane van crowd winter dusk battery change hand gold traffic fog
NOUN NN: violin butter sugar flour pharmacy glass smile path noise page history topic
NOUN NN: front top bottom surprise floor side sound tea place stop kitchen window way
NOUN NN: driveway umbrella bowl plan price wave jar summit cheetah lion breeze garage
NOUN NN: north coast island valley village roof island bridge pool wedding dress coin
NOUN NN: nest branch half noon midnight shade sunshine couch blanket soap towel football
NOUN NN: gardening swimming cooking painting weekend trip list heat ticket hole midday
NOUN NN: hallway kettle oven pan spoon fork bin sink tap cloud thunder lightning queue
NOUN NN: gym net goal score referee whistle pitch ground mud puddle meter kilometer
NOUN NN: temperature degree percent centimeter kilogram minute sale discount receipt
NOUN NN: brother-in-law neighbourhood address email website weight market mountain
NOUN NNS: coffees/coffee pears mountains facts waves whales miles glasses drums teas kids batteries
NOUN NNS: tools lights steps stairs leaves clothes prices people members shoes socks
NOUN NNS: grapes potatoes onions carrots noodles lessons boots gloves keys
VERB VBD: waved/wave landed/land stopped/stop started/start reached/reach gathered/gather
VERB VBD: belonged/belong buzzed/buzz smelled/smell noticed/notice dug/dig fed/feed
VERB VBD: threw/throw swam/swim fell/fall grew/grow won/win spent/spend rained/rain
VERB VBD: snowed/snow explained/explain forgot/forget showed/show knocked/knock
VERB VBD: laughed/laugh shouted/shout smiled/smile asked/ask answered/answer said/say
VERB VBD: told/tell heard/hear knew/know thought/think gave/give got/get made/make
VERB VBD: stood/stand hurried/hurry promised/promise pointed/point dropped/drop
VERB VBD: rolled/roll broke/break wore/wear caught/catch decided/decide tried/try
VERB VBD: finished/finish entered/enter lent/lend felt/feel kept/keep slipped/slip
VERB VBD: whispered/whisper nodded/nod shook/shake hung/hang moved/move carried/carry
VERB VBN: allowed/allow covered/cover delayed/delay married/marry born/bear known/know
VERB VBN: made/make given/give told/tell written/write heard/hear broken/break finished/finish
VERB VBN: spent/spend gone/go forgotten/forget invited/invite painted/paint
VERB VB: wave land stop start reach gather smell notice dig feed throw grow win spend
VERB VB: explain forget knock shout answer say tell hear know give get make stand
VERB VB: hurry promise point roll break wear decide try finish enter lend feel keep
VERB VB: drive dive move remember recycle pass whisper hang invite check cost mind
VERB VB: guess worry enjoy mean hope wonder join bring boil stir pour taste
VERB VB: become sound seem believe understand agree shut learn teach send fill
VERB VBZ: hurts/hurt draws/draw teaches/teach serves/serve wears/wear knows/know
VERB VBZ: tastes/taste smells/smell seems/seem sounds/sound floods/flood closes/close
VERB VBZ: opens/open starts/start begins/begin stops/stop leaves/leave takes/take
VERB VBZ: means/mean grows/grow lives/live works/work belongs/belong costs/cost
VERB VBG: coming/come performing/perform getting/get smiling/smile raining/rain
VERB VBG: snowing/snow going/go doing/do trying/try looking/look waiting/wait
VERB VBG: walking/walk swimming/swim drinking/drink reading/read playing/play
VERB VBG: gardening/garden training/train visiting/visit living/live baking/bake
ADJ JJ: healthy narrow dirty brave windy lovely local wide deep gentle whole
ADJ JJ: lower/low sorry fine glad careful famous ancient tired empty calm
ADJ JJ: yellow orange purple pink grey golden wet tiny huge thick thin
ADJ JJ: public modern sunny cloudy foggy rainy stormy frozen chilly
ADV RB: anyway everywhere instead forward backward
"""
for _line in EXTRA.strip().splitlines():
    _head, _words = _line.split(":", 1)
    _up, _xp = _head.split()
    for _w in _words.split():
        _f, _, _l = _w.partition("/")
        lex(_f, _up, _xp, _l or None)
# regular VBP forms for the VB list above
for _f, _es in list(LEX.items()):
    for (_u, _x, _l) in list(_es):
        if _u == "VERB" and _x == "VB":
            lex(_f, "VERB", "VBP", _l)


# ---------------------------------------------------------------- parser
# Compact notation: "word", "word/UPOS", "word/UPOS/XPOS", "word/UPOS/XPOS/lemma".

NEG = {  # surface -> (aux form, upos, xpos, lemma, clitic form)
    "don't": ("do", "VBP", "do", "n't"), "doesn't": ("does", "VBZ", "do", "n't"),
    "didn't": ("did", "VBD", "do", "n't"), "isn't": ("is", "VBZ", "be", "n't"),
    "aren't": ("are", "VBP", "be", "n't"), "wasn't": ("was", "VBD", "be", "n't"),
    "weren't": ("were", "VBD", "be", "n't"), "haven't": ("have", "VBP", "have", "n't"),
    "hasn't": ("has", "VBZ", "have", "n't"), "hadn't": ("had", "VBD", "have", "n't"),
    "won't": ("wo", "MD", "will", "n't"), "can't": ("ca", "MD", "can", "n't"),
    "couldn't": ("could", "MD", "could", "n't"), "shouldn't": ("should", "MD", "should", "n't"),
    "wouldn't": ("would", "MD", "would", "n't"), "mustn't": ("must", "MD", "must", "n't"),
    "cannot": ("can", "MD", "can", "not"),
}
CLITIC = {  # suffix -> (upos, xpos, lemma)
    "'m": ("AUX", "VBP", "be"), "'re": ("AUX", "VBP", "be"), "'s": ("AUX", "VBZ", "be"),
    "'ve": ("AUX", "VBP", "have"), "'ll": ("AUX", "MD", "will"), "'d": ("AUX", "MD", "would"),
}
PRON_CONTR = {"i", "you", "he", "she", "it", "we", "they", "that", "there", "what",
              "where", "who", "here"}


def neg_mwt(surface):
    low = surface.lower()
    aux, xp, lem, cl = NEG[low]
    a = surface[:len(aux)]
    return MWT(surface, [Tok(a, "AUX", xp, lem), Tok(surface[len(aux):], "PART", "RB", "not")])


def parse_word(raw, prev, first):
    bits = raw.split("/")
    form, spec = bits[0], bits[1:]
    low = form.lower()
    if not spec:
        if form in PUNCT:
            return Tok(form, "PUNCT", PUNCT[form], form)
        if NUMRE.match(form):
            return Tok(form, "NUM", "CD")
    if low in NEG and (not spec or spec == ["VB"]):
        m = neg_mwt(form)
        if spec == ["VB"] or (first and low == "don't"):
            m.parts_[0].xpos = "VB"
        return m
    if low == "let's":
        return MWT(form, [Tok(form[:3], "VERB", "VB", "let"), Tok("'s", "PRON", "PRP", "we")])
    for suf, (u, x, lem) in CLITIC.items():
        base = low[:-len(suf)]
        if low.endswith(suf) and base in PRON_CONTR:
            if suf == "'s" and spec == ["have"]:
                x, lem = "VBZ", "have"
            b = form[:-len(suf)]
            btok = parse_word(b, prev, first) if base not in ("that", "there") else \
                Tok(b, "PRON", "EX" if base == "there" else "DT", base)
            return MWT(form, [btok, Tok(form[-len(suf):], u, x, lem)])
    if low.endswith("'s") and len(low) > 2:        # possessive
        b = form[:-2]
        btok = parse_word("/".join([b] + spec), prev, first)
        return MWT(form, [btok, Tok("'s", "PART", "POS", "'s")])
    upos = spec[0] if spec else None
    xpos = spec[1] if len(spec) > 1 else None
    lemma = spec[2] if len(spec) > 2 else None
    if upos and upos not in UPOS:
        raise ValueError("bad tag in %r" % raw)
    cands = [c for c in LEX.get(low, []) if (upos is None or c[0] == upos)
             and (xpos is None or c[1] == xpos)]
    if upos is None and len(set(c[0] for c in cands)) > 1 and any(c[0] == "PROPN" for c in cands):
        # capitalised -> proper noun; lower case -> never a proper noun
        cands = [c for c in cands if (c[0] == "PROPN") == form[:1].isupper()]
    if lemma is not None or (not cands and upos and xpos):
        return Tok(form, upos, xpos, lemma)
    if not cands:
        raise KeyError("unknown word %r (in %r)" % (raw, " ".join(u.form for u in prev)))
    kinds = sorted(set((c[0], c[1]) for c in cands))
    if len(kinds) > 1:
        xs = set(k[1] for k in kinds)
        ups = set(k[0] for k in kinds)
        if ups == {"VERB"} and xs <= {"VB", "VBP"}:
            pick = verb_base_xpos(prev)
        elif ups == {"VERB"} and xs <= {"VBD", "VBN"}:
            pick = verb_past_xpos(prev)
        elif ups == {"VERB"} and xs <= {"VB", "VBP", "VBN"} and "VBN" in xs:
            pick = "VBN" if verb_past_xpos(prev) == "VBN" else verb_base_xpos(prev)
        else:
            raise KeyError("ambiguous word %r: %s (in %r)" % (raw, kinds, " ".join(u.form for u in prev)))
        cands = [c for c in cands if c[1] == pick]
    u, x, l = cands[0]
    return Tok(form, u, x, l)


BARE_INF_VERBS = {"let", "make", "help", "see", "watch", "hear"}


def _flat(prev):
    out = []
    for u in prev:
        out.extend(u.parts())
    return out


def verb_base_xpos(prev):
    subj = False
    for t in reversed(_flat(prev)):
        if t.upos in ("PRON", "NOUN", "PROPN"):
            subj = True
        elif t.upos in ("ADV", "DET", "ADJ", "NUM", "ADP", "INTJ"):
            continue
        elif t.upos == "PART":
            if t.lemma == "to":
                return "VB"
        elif t.upos == "AUX":
            return "VB"
        elif t.upos == "VERB":
            if not subj:
                return t.xpos if t.xpos in ("VB", "VBP") else "VBP"
            return "VB" if t.lemma in BARE_INF_VERBS else "VBP"
        elif t.upos in ("SCONJ", "CCONJ", "PUNCT"):
            if subj:
                return "VBP"
    return "VBP" if subj else "VB"


def verb_past_xpos(prev):
    n = 0
    for t in reversed(_flat(prev)):
        if t.upos in ("ADV", "PART"):
            continue
        if t.upos == "AUX" and t.lemma in ("have", "be"):
            return "VBN"
        if t.upos == "VERB" and t.lemma == "get":
            return "VBN"
        if t.upos not in ("PRON", "NOUN", "PROPN", "DET", "ADJ"):
            return "VBD"
        n += 1
        if n >= 2:
            return "VBD"
    return "VBD"


def P(text):
    units = []
    first = True
    for raw in text.split():
        u = parse_word(raw, units, first)
        units.append(u)
        if u.form not in PUNCT and u.parts()[0].upos != "INTJ":
            first = False
    return units


# ---------------------------------------------------------------- random helpers

R = random.Random(SEED)


def ch(seq):
    return R.choice(seq)


def maybe(p):
    return R.random() < p


def wch(pairs):
    total = sum(w for w, _ in pairs)
    r = R.random() * total
    for w, v in pairs:
        r -= w
        if r <= 0:
            return v
    return pairs[-1][1]


NUMW = "two three four five six seven eight nine ten twelve twenty".split()


def a_or_an(word):
    w = word.lower()
    if w.startswith(("uni", "use", "eu")):
        return "a"
    if w.startswith("hour") or w[0] in "aeio" or (w[0] == "u"):
        return "an"
    return "a"


# ---------------------------------------------------------------- noun phrases

class NP:
    def __init__(self, units, pers=3, num="sg", cls=None, pron=False, noun=None):
        self.units, self.pers, self.num, self.cls = units, pers, num, cls
        self.pron, self.noun = pron, noun


SUBJ_PRON = [("I", 1, "sg"), ("you", 2, "pl"), ("he", 3, "sg"), ("she", 3, "sg"),
             ("we", 1, "pl"), ("they", 3, "pl")]
OBJ_PRON = {"I": "me", "you": "you", "he": "him", "she": "her", "we": "us", "they": "them"}
POSS = ["my", "your", "his", "her", "our", "their"]


def poss_tok(w=None):
    w = w or ch(POSS)
    return Tok(w, "PRON", "PRP$", {"his": "he", "her": "she", "our": "we", "their": "they"}.get(w, w))


def name_tok():
    return Tok(ch(NAMES_F + NAMES_M), "PROPN", "NNP")


def name_units():
    r = R.random()
    if r < 0.12:
        return [Tok(ch(["Mrs.", "Mr.", "Dr."]), "PROPN", "NNP"), Tok(ch(SURNAMES), "PROPN", "NNP")]
    return [name_tok()]


def poss_name_mwt():
    n = ch(NAMES_F + NAMES_M)
    return MWT(n + "'s", [Tok(n, "PROPN", "NNP"), Tok("'s", "PART", "POS", "'s")])


def det_units(num, nxt, role):
    if num == "sg":
        d = wch([(50, "the"), (25, "a"), (12, "poss"), (5, "this"), (3, "that"), (5, "name")])
    elif num == "pl":
        d = wch([(35, "the"), (15, ""), (10, "some"), (15, "num"), (12, "poss"), (4, "these"),
                 (3, "those"), (3, "name")])
    else:
        d = wch([(45, "the"), (25, ""), (15, "some"), (12, "poss"), (3, "name")])
    if role == "subj" and d == "some" and num == "mass":
        d = "the"
    if d == "":
        return []
    if d == "a":
        return [Tok(a_or_an(nxt), "DET", "DT", "a")]
    if d == "poss":
        return [poss_tok()]
    if d == "name":
        return [poss_name_mwt()]
    if d == "num":
        return [Tok(ch(NUMW), "NUM", "CD")] if maybe(0.8) else [Tok(str(R.randint(3, 40)), "NUM", "CD")]
    lem = {"these": "this", "those": "that"}.get(d, d)
    return [Tok(d, "DET", "DT", lem)]


def noun_np(key, num=None, adj_p=0.25, role="obj", adj=None, det=None):
    n = NOUNS[key]
    if num is None:
        num = "mass" if n.mass else ("pl" if maybe(0.3) else "sg")
    if n.mass:
        num = "mass"
    head = Tok(n.pl if num == "pl" else n.sg, "NOUN", "NNS" if num == "pl" else "NN", n.sg)
    mods = []
    if adj is None and n.attr and maybe(adj_p):
        adj = ch(n.attr)
    if adj:
        mods.append(Tok(adj, "ADJ", "JJ"))
    first = (mods + [head])[0].form
    if det is None:
        d = det_units(num, first, role)
    elif det == "a":
        d = [Tok(a_or_an(first), "DET", "DT", "a")]
    elif det == "":
        d = []
    else:
        d = [Tok(det, "DET", "DT", {"these": "this", "those": "that"}.get(det, det))]
    return NP(d + mods + [head], 3, "pl" if num == "pl" else "sg", n.cls, noun=key)


def person_np(role="subj"):
    r = R.random()
    if r < 0.35 and role == "subj":
        w, p, nm = ch(SUBJ_PRON)
        return NP([Tok(w, "PRON", "PRP", w if w == "I" else w.lower())], p, nm, "person", pron=True)
    if r < 0.60:
        return NP(name_units(), 3, "sg", "person")
    return person_noun_np(ch(CLASS_NOUNS["person"]))


RELATIONAL = set("friend sister brother cousin uncle aunt mother father grandmother grandfather "
                 "neighbor teacher coach doctor parent kid child guest manager student".split())


def person_noun_np(key, num=None):
    n = NOUNS[key]
    if num is None:
        num = "pl" if maybe(0.25) else "sg"
    head = Tok(n.pl if num == "pl" else n.sg, "NOUN", "NNS" if num == "pl" else "NN", n.sg)
    mods = [Tok(ch(n.attr), "ADJ", "JJ")] if maybe(0.2) else []
    rel = key in RELATIONAL
    if num == "sg":
        d = wch([(40, "the"), (35 if rel else 0, "poss"), (15, "a"), (10 if rel else 0, "name")])
    else:
        d = wch([(45, "the"), (35 if rel else 0, "poss"), (8 if key in ("person", "child", "student", "tourist") else 0, "")])
    first = (mods + [head])[0].form
    du = {"the": [Tok("the", "DET", "DT")], "poss": [poss_tok()], "": [],
          "a": [Tok(a_or_an(first), "DET", "DT", "a")], "name": [poss_name_mwt()]}[d]
    return NP(du + mods + [head], 3, num, "person", noun=key)


def obj_pron(np_):
    if np_.num == "pl":
        return NP([Tok("them", "PRON", "PRP", "they")], 3, "pl", np_.cls, pron=True)
    if np_.cls == "person":
        w = ch(["him", "her"])
        return NP([Tok(w, "PRON", "PRP", "he" if w == "him" else "she")], 3, "sg", "person", pron=True)
    return NP([Tok("it", "PRON", "PRP", "it")], 3, "sg", np_.cls, pron=True)


def subj_for(v):
    spec = ch(v.subj)
    if spec == "person":
        return person_np("subj")
    if spec.startswith("n:"):
        key = spec[2:]
        if key not in NOUNS:
            key = [k for k in NOUNS if k.startswith(key + "_")][0]
        return noun_np(key, role="subj", adj_p=0.2)
    return noun_np(ch(CLASS_NOUNS[spec]), role="subj", adj_p=0.2)


def obj_np(spec):
    key, _, force = spec.partition(":")
    n = NOUNS[key]
    if n.cls == "person":
        if maybe(0.3):
            return NP(name_units(), 3, "sg", "person")
        return person_noun_np(key, force or None)
    num = force or None
    np_ = noun_np(key, num=num)
    if maybe(0.07):
        return obj_pron(np_)
    return np_


def place_pp(place=None, prep=None):
    if place is None:
        place = ch(list(PLACE_PREPS))
    if prep is None:
        prep = ch(PLACE_PREPS.get(place, "near").split())
    n = NOUNS[place] if place in NOUNS else NOUNS[[k for k in NOUNS if k.startswith(place + "_")][0]]
    mods = [Tok(ch(n.attr), "ADJ", "JJ")] if (n.attr and maybe(0.15)) else []
    det = Tok("the", "DET", "DT") if maybe(0.8) else poss_tok()
    if place in ("sun", "sky"):
        det, mods = Tok("the", "DET", "DT"), []
    return [Tok(prep, "ADP", "IN")] + [det] + mods + [Tok(n.sg, "NOUN", "NN")]


def verb_place(v):
    spec = ch(v.places)
    if ":" in spec:
        prep, place = spec.split(":")
        return place_pp(place, prep)
    return place_pp(spec)


# ---------------------------------------------------------------- time expressions

def T(s):
    return P(fill(s))


TIMES = {
    "past": ["yesterday", "last/ADJ night", "last/ADJ week", "last/ADJ summer", "last/ADJ {DAY}",
             "on/ADP {DAY}", "{NUMW} days ago", "an hour ago", "this/DET morning", "in/ADP {YEAR}",
             "in/ADP {MONTH}", "at/ADP {CLOCK}", "after/ADP lunch", "before/ADP dinner",
             "in/ADP the evening", "on/ADP {MONTH} {DATE}", "{NUMW} years ago"],
    "hab": ["every day", "every morning", "on/ADP {DAYS}", "in/ADP the morning", "after/ADP school",
            "at/ADP night", "on/ADP weekends", "twice a week", "every {DAY}", "in/ADP the evening",
            "every summer", "in/ADP winter"],
    "fut": ["tomorrow", "next week", "on/ADP {DAY}", "tonight", "in/ADP {MONTH}", "at/ADP {CLOCK}",
            "after/ADP lunch", "next {DAY}", "later", "soon", "this/DET weekend", "next summer",
            "in/ADP {NUMW} weeks"],
    "now": ["right/ADV now", "now", "at/ADP the moment", "today", "this/DET week"],
    "perf": ["this/DET week", "today", "since/ADP {DAY}", "for/ADP {NUMW} hours", "this/DET year",
             "since/ADP {MONTH}", "already"],
}
lex("moment", "NOUN", "NN")
TENSE_TIME = {"pres": "hab", "past": "past", "prog": "now", "pastprog": "past", "perf": "perf",
              "fut": "fut", "going": "fut", "modal": None}


def time_expr(tense):
    k = TENSE_TIME.get(tense)
    if not k:
        return []
    s = ch(TIMES[k])
    if s == "already":
        return []
    return T(s)


# ---------------------------------------------------------------- slots for patterns

def _person_str():
    return wch([(3, "the teacher"), (2, "my sister"), (2, "our neighbor"), (2, "the old farmer"),
                (2, "my uncle"), (2, "the new coach"), (2, "the baker"), (4, "{NAME}"),
                (2, "his brother"), (2, "her/PRON/PRP$ cousin"), (1, "the driver"), (1, "my grandmother"),
                (1, "Mrs./PROPN {SUR}"), (1, "Dr./PROPN {SUR}")])


def _people_str():
    return wch([(3, "the children"), (2, "my parents/NOUN/NNS/parent"), (2, "our neighbors"), (2, "the students"),
                (2, "the tourists"), (3, "we"), (3, "they"), (1, "my friends"), (1, "the farmers")])


def _subj_str():
    return wch([(3, "I"), (2, "you"), (2, "he"), (2, "she"), (3, "we"), (3, "they"), (4, "{NAME}"),
                (3, "{PERSON}"), (2, "{PEOPLE}")])


SLOTS = {
    "NAME": lambda: ch(NAMES_F + NAMES_M), "FN": lambda: ch(NAMES_F), "MN": lambda: ch(NAMES_M),
    "SUR": lambda: ch(SURNAMES), "CITY": lambda: ch(CITIES), "DAY": lambda: ch(DAYS),
    "DAYS": lambda: ch(DAYS) + "s", "MONTH": lambda: ch([m for m in MONTHS if m != "May"]) + "/PROPN",
    "YEAR": lambda: str(R.randint(1965, 2023)), "DATE": lambda: str(R.randint(1, 28)),
    "CLOCK": lambda: "%d:%s" % (R.randint(5, 11), ch(["00", "15", "30", "45", "10", "20", "40", "50"])),
    "NUMW": lambda: ch(NUMW), "DIG": lambda: str(R.randint(2, 99)),
    "PRICE": lambda: str(ch([3, 4, 5, 8, 9, 12, 15, 18, 20, 25, 30, 45, 60, 80, 120, 250])),
    "PCT": lambda: str(ch([5, 10, 12, 15, 20, 25, 30, 40, 50, 60, 75, 80, 90])),
    "STREET": lambda: " ".join(w + "/PROPN" for w in ch(STREETS).split()),
    "PERSON": _person_str, "PEOPLE": _people_str, "SUBJ": _subj_str,
    "PASTT": lambda: ch(TIMES["past"]), "FUTT": lambda: ch(TIMES["fut"]),
    "HABT": lambda: ch(TIMES["hab"]),
    "FOOD": lambda: ch("cake pie sandwich pizza salad".split()) + "/NOUN",
    "FOODS": lambda: ch("apples eggs oranges tomatoes peaches cookies sandwiches beans".split()) + "/NOUN",
    "PLACE": lambda: ch("park station market library museum beach bakery cafe hotel cinema".split()) + "/NOUN",
    "BUILDING": lambda: ch("station market library museum bakery cafe hotel cinema school office".split()) + "/NOUN",
    "ANIMAL": lambda: ch("dog cat horse duck goat rabbit fox owl".split()) + "/NOUN",
    "THING": lambda: ch("book bag key cup umbrella camera phone map ticket hat".split()) + "/NOUN",
    "ADJP": lambda: ch("tired happy hungry busy ready late".split()),
}


def fill(pattern):
    for _ in range(4):
        if "{" not in pattern:
            break
        pattern = re.sub(r"\{(\w+)\}", lambda m: SLOTS[m.group(1)](), pattern)
    return pattern


# ---------------------------------------------------------------- verb groups

def T_(form, upos, xpos, lemma=None):
    return Tok(form, upos, xpos, lemma)


def be_tok(subj, past):
    if past:
        f = "was" if (subj.num == "sg" and subj.pers != 2) else "were"
    else:
        f = "am" if (subj.pers == 1 and subj.num == "sg") else \
            ("is" if (subj.pers == 3 and subj.num == "sg") else "are")
    return Tok(f, "AUX", {"am": "VBP", "is": "VBZ", "are": "VBP", "was": "VBD", "were": "VBD"}[f], "be")


def is3(subj):
    return subj.pers == 3 and subj.num == "sg"


CONTRACTIBLE = {"is", "are", "was", "were", "have", "has", "do", "does", "did", "will",
                "can", "could", "should", "would", "had"}


def negate(aux, p=0.55):
    """aux Tok -> units with negation."""
    f = aux.form
    if f in CONTRACTIBLE and maybe(p):
        surface = {"will": "won't", "can": "can't"}.get(f, f + "n't")
        m = neg_mwt(surface)
        m.parts_[0].xpos = aux.xpos
        return [m]
    if f == "can" and maybe(0.3):
        return [neg_mwt("cannot")]
    return [aux, Tok("not", "PART", "RB")]


FREQ = ["often", "always", "usually", "sometimes", "never", "rarely"]
lex("rarely", "ADV", "RB")
MODALS = ["can", "could", "should", "must", "might", "may", "would"]


def vgroup(v, subj, tense, neg=False, freq=None):
    out = []
    if tense == "pres":
        if neg:
            aux = Tok("does" if is3(subj) else "do", "AUX", "VBZ" if is3(subj) else "VBP", "do")
            out = negate(aux) + [v.tok("VB")]
        else:
            out = ([Tok(freq, "ADV", "RB")] if freq else []) + [v.tok("VBZ" if is3(subj) else "VBP")]
    elif tense == "past":
        if neg:
            out = negate(Tok("did", "AUX", "VBD", "do")) + [v.tok("VB")]
        else:
            out = ([Tok(freq, "ADV", "RB")] if freq else []) + [v.tok("VBD")]
    elif tense in ("prog", "pastprog"):
        b = be_tok(subj, tense == "pastprog")
        out = (negate(b) if neg else [b]) + [v.tok("VBG")]
    elif tense == "perf":
        h = Tok("has" if is3(subj) else "have", "AUX", "VBZ" if is3(subj) else "VBP", "have")
        mid = []
        if not neg and maybe(0.3):
            mid = [Tok(ch(["already", "just", "never", "often"]), "ADV", "RB")]
        out = (negate(h) if neg else [h]) + mid + [v.tok("VBN")]
    elif tense == "fut":
        w = Tok("will", "AUX", "MD")
        mid = [Tok(freq, "ADV", "RB")] if (freq and not neg) else []
        out = (negate(w) if neg else [w]) + mid + [v.tok("VB")]
    elif tense == "modal":
        m = Tok(ch(MODALS), "AUX", "MD")
        out = (negate(m) if neg else [m]) + [v.tok("VB")]
    elif tense == "going":
        b = be_tok(subj, False)
        out = (negate(b) if neg else [b]) + [Tok("going", "VERB", "VBG", "go"),
                                             Tok("to", "PART", "TO"), v.tok("VB")]
    return out


SUFFIX = {"am": "'m", "are": "'re", "is": "'s", "has": "'s", "have": "'ve", "will": "'ll"}


def contract_subject(units, subj, p=0.45):
    """Merge a pronoun subject with a following auxiliary (I'm, she's, they've...)."""
    if not subj.pron or len(units) < 2:
        return units
    pr, aux = units[0], units[1]
    if not isinstance(aux, Tok) or aux.upos != "AUX" or aux.form not in SUFFIX:
        return units
    if pr.form == "I" and aux.form not in ("am", "have", "will"):
        return units
    if not maybe(p):
        return units
    suf = SUFFIX[aux.form]
    return [MWT(pr.form + suf, [pr, Tok(suf, "AUX", aux.xpos, aux.lemma)])] + units[2:]


def pick_tense(stative=False):
    t = wch([(25, "pres"), (32, "past"), (10, "prog"), (4, "pastprog"), (10, "perf"),
             (9, "fut"), (7, "modal"), (4, "going")])
    if stative and t in ("prog", "pastprog"):
        t = ch(["pres", "past"])
    return t


# ---------------------------------------------------------------- verb phrases

DURATIONS = ["{NUMW} hours", "all night", "all day", "for {NUMW} days", "until/ADP midnight",
             "a long/ADJ time", "about/ADV an hour", "{NUMW} weeks", "until/ADP {CLOCK}"]
lex("midnight", "NOUN", "NN")


def vp_tail(v, tense, allow_place=True):
    frames = []
    if v.objs:
        frames += ["o"] * 3
    if v.prt:
        frames.append("prt")
    if v.prep:
        frames.append("prep")
    if (not v.objs or v.intr) and (v.adv or v.places or not (v.prep or v.prt)):
        frames.append("i")
    if v.dur:
        frames = ["dur"]
    fr = ch(frames)
    out = []
    if fr == "o":
        out = obj_np(ch(v.objs)).units
        if allow_place and v.places and maybe(0.3):
            out += verb_place(v)
    elif fr == "prt":
        prt, nouns = ch(v.prt)
        o = obj_np(ch(nouns))
        ptok = Tok(prt, "ADP", "RP")
        out = (o.units + [ptok]) if (o.pron or maybe(0.35)) else ([ptok] + o.units)
    elif fr == "prep":
        prep, nouns = ch(v.prep)
        out = [Tok(prep, "ADP", "IN")] + obj_np(ch(nouns)).units
    elif fr == "dur":
        out = T(ch(DURATIONS))
    else:
        opts = []
        if v.adv:
            opts.append("adv")
        if v.places and allow_place:
            opts.append("pp")
        if not v.need or not opts:
            opts.append("")
        o = ch(opts)
        if o == "adv":
            a = ch(v.adv)
            out = [Tok(a, "ADV", "RB")]
            if a in ("hard", "well", "fast", "late", "early") and maybe(0.3):
                out = [Tok(ch(["very", "really", "quite", "too"]), "ADV", "RB")] + out
        elif o == "pp":
            out = verb_place(v)
    return out


VERB_KEYS = list(VERBS)


def pick_verb(filter_=None):
    while True:
        v = VERBS[ch(VERB_KEYS)]
        if filter_ is None or filter_(v):
            return v


def clause(v=None, subj=None, tense=None, neg=None, time_p=0.3, freq_p=0.12, contract=True,
           allow_place=True):
    v = v or pick_verb()
    subj = subj or subj_for(v)
    tense = tense or pick_tense(v.stative)
    if neg is None:
        neg = maybe(0.13)
    freq = None
    if tense in ("pres", "past", "fut") and not neg and maybe(freq_p):
        freq = ch(FREQ)
    units = list(subj.units) + vgroup(v, subj, tense, neg, freq) + vp_tail(v, tense, allow_place)
    if maybe(time_p) and not freq:
        units += time_expr(tense)
    if contract:
        units = contract_subject(units, subj)
    return units, dict(v=v, subj=subj, tense=tense, neg=neg)


def end(units, p="."):
    return capfirst(units) + [Tok(p, "PUNCT", ".")]


def comma():
    return Tok(",", "PUNCT", ",")


# ---------------------------------------------------------------- sentence templates

def s_simple():
    if maybe(0.12):
        u, m = clause(time_p=0.0)
        t = time_expr(m["tense"])
        if t:
            return end(t + [comma()] + u)
        return end(u)
    u, m = clause()
    return end(u)


def s_copula():
    r = R.random()
    if r < 0.45:
        subj = person_np("subj")
        adjs = CLASS_PRED["person"].split()
    else:
        cls = ch(["thing", "food", "vehicle", "event", "building", "outdoor", "animal", "drink"])
        key = ch([k for k in CLASS_NOUNS[cls] if NOUNS[k].pred])
        subj = noun_np(key, role="subj", adj_p=0.1)
        adjs = NOUNS[key].pred
    tense = wch([(5, "pres"), (4, "past"), (1, "fut"), (1, "modal")])
    neg = maybe(0.15)
    adj = ch(adjs)
    if tense in ("pres", "past"):
        b = be_tok(subj, tense == "past")
        vg = negate(b) if neg else [b]
    else:
        m = Tok("will", "AUX", "MD") if tense == "fut" else Tok(ch(["might", "should", "must", "could"]), "AUX", "MD")
        vg = (negate(m) if neg else [m]) + [Tok("be", "AUX", "VB")]
    deg = [Tok(ch(["very", "really", "quite", "too", "so", "always"]), "ADV", "RB")] if maybe(0.35) else []
    pred = [Tok(adj, "ADJ", "JJ")]
    if adj == "afraid" and maybe(0.6):
        pred += [Tok("of", "ADP", "IN")] + noun_np(ch(["dog", "horse", "storm", "bee"]), num="pl", det="").units
    if adj == "sure" and maybe(0.5):
        pred += [Tok("that", "SCONJ", "IN")] + clause(tense=ch(["past", "pres"]), time_p=0.1)[0]
    units = list(subj.units) + vg + deg + pred
    if maybe(0.25) and adj in ("tired", "happy", "hungry", "busy", "late", "ready", "quiet", "crowded", "open",
                                "empty", "full", "cold", "hot", "fresh", "noisy", "angry", "early", "clean", "slow"):
        units += time_expr({"pres": "now", "past": "past", "fut": "fut", "modal": None}[tense] or "fut")
    units = contract_subject(units, subj)
    return end(units)


def s_cop_noun():
    subj = person_np("subj")
    job = ch(["teacher", "doctor", "farmer", "baker", "driver", "nurse", "pilot", "waiter", "artist",
              "singer", "coach", "runner", "cook", "engineer", "manager", "student", "player"])
    n = NOUNS[job]
    past = maybe(0.4)
    b = be_tok(subj, past)
    adj = [Tok(ch(["good", "great", "young", "famous", "careful", "new", "local"]), "ADJ", "JJ")] if maybe(0.4) else []
    if subj.num == "pl":
        np_ = adj + [Tok(n.pl, "NOUN", "NNS", n.sg)]
    else:
        first = (adj + [Tok(n.sg, "NOUN", "NN")])[0].form
        np_ = [Tok(a_or_an(first), "DET", "DT", "a")] + adj + [Tok(n.sg, "NOUN", "NN")]
    neg = maybe(0.15)
    tail = []
    if maybe(0.35):
        tail = [Tok("in", "ADP", "IN"), Tok(ch(CITIES), "PROPN", "NNP")] if maybe(0.5) else place_pp(
            ch(["hospital", "school", "bakery", "cafe", "hotel", "airport", "restaurant", "library"]), "at")
    units = contract_subject(list(subj.units) + (negate(b) if neg else [b]) + np_ + tail, subj)
    return end(units)


def s_exist():
    cls = ch(["animal", "thing", "food", "vehicle", "person"])
    key = ch(CLASS_NOUNS[cls])
    n = NOUNS[key]
    pl = (not n.mass) and maybe(0.55)
    head = Tok(n.pl if pl else n.sg, "NOUN", "NNS" if pl else "NN", n.sg)
    adj = [Tok(ch(n.attr), "ADJ", "JJ")] if (n.attr and maybe(0.25)) else []
    if pl:
        d = ch(["num", "some", "many", "no", "several", "few"])
        if d == "num":
            det = [Tok(ch(NUMW), "NUM", "CD")]
        elif d in ("many", "several"):
            det = [Tok(d, "ADJ", "JJ")]
        elif d == "few":
            det = [Tok("a", "DET", "DT"), Tok("few", "ADJ", "JJ")]
        else:
            det = [Tok(d, "DET", "DT")]
    elif n.mass:
        det = [Tok(ch(["some", "no"]), "DET", "DT")]
    else:
        first = (adj + [head])[0].form
        det = [Tok(a_or_an(first), "DET", "DT", "a")]
    past = maybe(0.45)
    subj = NP([], 3, "pl" if pl else "sg")
    b = be_tok(subj, past)
    there = Tok("there", "PRON", "EX")
    if not past and not pl and maybe(0.3):
        head_units = [MWT("there's", [there, Tok("'s", "AUX", "VBZ", "be")])]
    else:
        head_units = [there] + (negate(b, 0.6) if (maybe(0.1) and det[0].form not in ("no",)) else [b])
    where = {"animal": "park garden field yard farm forest lake pond river beach hill square",
             "thing": "kitchen room office house shop library cafe hotel",
             "food": "kitchen bakery market cafe restaurant shop",
             "vehicle": "station street road corner harbor airport square",
             "person": "station market library museum cafe shop square park beach hospital hotel"}[cls]
    if cls == "vehicle" and key in ("boat", "ship"):
        where = "harbor river lake"
    if cls == "vehicle" and key == "plane":
        where = "airport"
    pp = place_pp(ch(where.split()))
    units = head_units + det + adj + [head] + pp
    if maybe(0.2):
        units += time_expr("past" if past else "now")
    return end(units)


def s_ynq():
    v = pick_verb(lambda v: not v.dur)
    subj = subj_for(v)
    if subj.num == "sg" and maybe(0.4) and subj.cls == "person":
        subj = NP([Tok("you", "PRON", "PRP")], 2, "pl", "person", pron=True)
    tense = wch([(4, "pres"), (4, "past"), (2, "prog"), (2, "perf"), (2, "fut"), (3, "modal")])
    if v.stative and tense == "prog":
        tense = "pres"
    neg = maybe(0.08)
    if tense == "pres":
        aux = Tok("does" if is3(subj) else "do", "AUX", "VBZ" if is3(subj) else "VBP", "do")
        main = v.tok("VB")
    elif tense == "past":
        aux, main = Tok("did", "AUX", "VBD", "do"), v.tok("VB")
    elif tense == "prog":
        aux, main = be_tok(subj, False), v.tok("VBG")
    elif tense == "perf":
        aux = Tok("has" if is3(subj) else "have", "AUX", "VBZ" if is3(subj) else "VBP", "have")
        main = v.tok("VBN")
    elif tense == "fut":
        aux, main = Tok("will", "AUX", "MD"), v.tok("VB")
    else:
        aux, main = Tok(ch(["can", "could", "should", "would", "can"]), "AUX", "MD"), v.tok("VB")
    lead = [aux]
    if neg and aux.form in CONTRACTIBLE:
        lead = negate(aux, 1.0)
    mid = []
    if tense == "perf" and maybe(0.4) and not neg:
        mid = [Tok("ever", "ADV", "RB")]
    units = lead + list(subj.units) + mid + [main] + vp_tail(v, tense)
    if maybe(0.2):
        units += time_expr(tense)
    if maybe(0.08):
        units = [Tok("So", "ADV", "RB"), comma()] + units
    return end(units, "?")


def s_whq():
    r = R.random()
    if r < 0.3:   # object question: What/Which N did you V?
        v = pick_verb(lambda v: bool(v.objs))
        subj = subj_for(v)
        spec = ch(v.objs).partition(":")[0]
        n = NOUNS[spec]
        if n.cls == "person":
            wh = [Tok("who", "PRON", "WP")]
        elif maybe(0.5):
            wh = [Tok("what", "PRON", "WP")]
        else:
            num = "pl" if (n.pl and maybe(0.3)) else "sg"
            if n.mass:
                num = "sg"
            head = Tok(n.pl if num == "pl" else n.sg, "NOUN", "NNS" if num == "pl" else "NN", n.sg)
            if num == "pl" and maybe(0.5):
                wh = [Tok("how", "ADV", "WRB"), Tok("many", "ADJ", "JJ"), head]
            else:
                wh = [Tok(ch(["which", "what"]), "DET", "WDT"), head]
        tense = wch([(3, "past"), (2, "pres"), (1, "fut"), (1, "modal"), (1, "prog")])
        if v.stative and tense == "prog":
            tense = "past"
        if tense == "pres":
            aux, main = Tok("does" if is3(subj) else "do", "AUX", "VBZ" if is3(subj) else "VBP", "do"), v.tok("VB")
        elif tense == "past":
            aux, main = Tok("did", "AUX", "VBD", "do"), v.tok("VB")
        elif tense == "prog":
            aux, main = be_tok(subj, False), v.tok("VBG")
        elif tense == "fut":
            aux, main = Tok("will", "AUX", "MD"), v.tok("VB")
        else:
            aux, main = Tok(ch(["should", "can", "could"]), "AUX", "MD"), v.tok("VB")
        units = wh + [aux] + list(subj.units) + [main]
        if v.places and maybe(0.3):
            units += verb_place(v)
        elif maybe(0.25):
            units += time_expr(tense)
        return end(units, "?")
    if r < 0.55:  # adverbial wh
        v = pick_verb(lambda v: not v.dur)
        subj = subj_for(v)
        wh = ch(["where", "when", "why", "how", "how often", "why"])
        tense = wch([(3, "past"), (3, "pres"), (1, "fut"), (1, "modal")])
        if tense == "pres":
            aux = Tok("does" if is3(subj) else "do", "AUX", "VBZ" if is3(subj) else "VBP", "do")
        elif tense == "past":
            aux = Tok("did", "AUX", "VBD", "do")
        elif tense == "fut":
            aux = Tok("will", "AUX", "MD")
        else:
            aux = Tok(ch(["should", "can", "could"]), "AUX", "MD")
        neg = wh == "why" and maybe(0.4) and aux.form in CONTRACTIBLE
        lead = negate(aux, 1.0) if neg else [aux]
        whu = [Tok(w, "ADV", "WRB" if w == "how" or w in ("where", "when", "why") else "RB") for w in wh.split()]
        tail = vp_tail(v, tense, allow_place=(wh != "where"))
        return end(whu + lead + list(subj.units) + [v.tok("VB")] + tail, "?")
    if r < 0.75:  # subject question
        v = pick_verb(lambda v: bool(v.objs) and "person" in v.subj)
        tense = ch(["past", "past", "pres", "perf"])
        who = NP([Tok("who", "PRON", "WP")], 3, "sg")
        units = [Tok("who", "PRON", "WP")] + vgroup(v, who, tense) + vp_tail(v, tense)
        return end(units, "?")
    # where/what is ...
    kind = R.random()
    if kind < 0.4:
        key = ch(CLASS_NOUNS["building"] + CLASS_NOUNS["outdoor"])
        np_ = noun_np(key, num="sg", det="the", adj_p=0.15)
        units = [Tok("where", "ADV", "WRB"), Tok("is", "AUX", "VBZ", "be")] + np_.units
        if maybe(0.3):
            units = [MWT("where's", [Tok("where", "ADV", "WRB"), Tok("'s", "AUX", "VBZ", "be")])] + np_.units
        return end(units, "?")
    if kind < 0.7:
        subj = person_np("subj")
        past = maybe(0.4)
        units = [Tok("why", "ADV", "WRB"), be_tok(subj, past)] + list(subj.units) + \
            [Tok(ch(CLASS_PRED["person"].split()), "ADJ", "JJ")]
        return end(units, "?")
    key = ch(["cake", "ticket", "coffee", "book", "camera", "bike", "pizza", "umbrella", "watch"])
    np_ = noun_np(key, num="sg", det="the")
    d = Tok("does", "AUX", "VBZ", "do")
    units = [Tok("how", "ADV", "WRB"), Tok("much", "ADJ", "JJ"), d] + np_.units + [Tok("cost", "VERB", "VB")]
    return end(units, "?")


def s_imp():
    v = pick_verb(lambda v: "person" in v.subj and not v.stative and not v.dur and v.key != "fly_i")
    r = R.random()
    lead = []
    if r < 0.2:
        lead = [Tok("please", "INTJ", "UH")]
    elif r < 0.35:
        lead = [neg_mwt("don't")]
        lead[0].parts_[0].xpos = "VB"
    elif r < 0.42:
        lead = [Tok("never", "ADV", "RB")]
    elif r < 0.55:
        lead = [MWT("let's", [Tok("let", "VERB", "VB"), Tok("'s", "PRON", "PRP", "we")])]
    units = lead + [v.tok("VB")] + vp_tail(v, "fut")
    if maybe(0.2):
        units += T(ch(["tomorrow", "tonight", "after/ADP lunch", "before/ADP dinner", "later", "now", "today",
                       "first/ADV/RB", "right/ADV now", "on/ADP {DAY}"]))
    if not lead and maybe(0.2):
        units += [comma(), Tok("please", "INTJ", "UH")]
    return end(units, "!" if maybe(0.15) else ".")


REPORT = [("think", "VBP", "thinks"), ("know", "VBP", "knows"), ("hope", "VBP", "hopes"),
          ("said", "VBD", None), ("heard", "VBD", None), ("noticed", "VBD", None),
          ("thought", "VBD", None), ("knew", "VBD", None), ("told", "VBD", None),
          ("promised", "VBD", None), ("believe", "VBP", "believes")]
lex("believes", "VERB", "VBZ", "believe")
lex("hopes", "VERB", "VBZ", "hope")
lex("believe", "VERB", "VBP")


def s_comp():
    subj = person_np("subj")
    w, xp, s3 = ch(REPORT)
    lemma = LEX[w][0][2] if w in LEX else w
    lemma = {"said": "say", "heard": "hear", "noticed": "notice", "thought": "think",
             "knew": "know", "told": "tell", "promised": "promise"}.get(w, w)
    if xp == "VBP":
        form, x = (s3, "VBZ") if is3(subj) else (w, "VBP")
    else:
        form, x = w, "VBD"
    units = list(subj.units) + [Tok(form, "VERB", x, lemma)]
    if w == "told":
        if maybe(0.5):
            units += person_np("obj").units
        else:
            w2 = ch(["me", "us", "them"])
            units += [Tok(w2, "PRON", "PRP", {"me": "I", "us": "we", "them": "they"}[w2])]
    if maybe(0.7):
        units.append(Tok("that", "SCONJ", "IN"))
    if w == "promised":
        sub, _ = clause(tense="fut", time_p=0.4, neg=False)
    elif maybe(0.5):
        sub, _ = clause(tense=("past" if x == "VBD" and maybe(0.7) else None), time_p=0.2)
    else:
        sub = _lower_first(s_copula()[:-1])
    return end(units + sub)


def _lower_first(units):
    u = units[0]
    p0 = u.parts()[0]
    if p0.upos == "PROPN" or p0.form == "I" or u.form.startswith("I'"):
        return units
    return [u.with_form(u.form[0].lower() + u.form[1:])] + units[1:]


def s_adv():
    conj = ch(["because", "although", "while", "if", "when", "before", "after", "until", "since", "as", "when", "if", "because"])
    if conj == "if":
        a, _ = clause(tense="pres", time_p=0.1, neg=maybe(0.2))
        b, _ = clause(tense=ch(["fut", "modal", "fut", "going"]), time_p=0.1)
    elif conj in ("when", "before", "after", "until", "as"):
        a, _ = clause(tense="past", time_p=0.0)
        b, _ = clause(tense=ch(["past", "past", "pastprog"]), time_p=0.1)
    elif conj == "while":
        a, _ = clause(tense="pastprog", time_p=0.0)
        b, _ = clause(tense="past", time_p=0.1)
    elif conj == "since":
        a, _ = clause(tense=ch(["pres", "past"]), time_p=0.0)
        b, _ = clause(tense=ch(["fut", "modal", "pres"]), time_p=0.1)
    else:
        a, _ = clause(time_p=0.2)
        b, _ = clause(time_p=0.2)
    ctok = Tok(conj, "ADV", "WRB") if conj == "when" else Tok(conj, "SCONJ", "IN")
    if maybe(0.5):
        return end([ctok] + a + [comma()] + b)
    return end(b + [ctok] + a)


def s_coord():
    r = R.random()
    if r < 0.55:
        a, _ = clause(time_p=0.15)
        b, _ = clause(time_p=0.15)
        c = ch(["and", "but", "and", "or", "but"])
        return end(a + [comma()] + [Tok(c, "CCONJ", "CC")] + b)
    # VP coordination with a shared subject
    v1 = pick_verb(lambda v: "person" in v.subj and not v.dur)
    v2 = pick_verb(lambda v: "person" in v.subj and not v.dur and v is not v1)
    subj = person_np("subj")
    tense = ch(["past", "past", "pres", "fut"])
    vg1 = vgroup(v1, subj, tense)
    t1 = vp_tail(v1, tense, allow_place=False)
    if tense == "fut":
        vg2 = [v2.tok("VB")]
    else:
        vg2 = [vgroup(v2, subj, tense)[-1]]
    t2 = vp_tail(v2, tense)
    c = ch(["and", "and", "but", "then"])
    ctoks = [Tok("and", "CCONJ", "CC"), Tok("then", "ADV", "RB")] if c == "then" else [Tok(c, "CCONJ", "CC")]
    units = list(subj.units) + vg1 + t1 + ctoks + vg2 + t2
    return end(contract_subject(units, subj))


def s_rel_obj():
    v = pick_verb(lambda v: bool(v.objs) and "person" in v.subj)
    spec = ch(v.objs)
    key = spec.partition(":")[0]
    n = NOUNS[key]
    if n.cls == "person":
        return s_rel_subj()
    np_ = noun_np(key, det="the", adj_p=0.1, num=None if not n.mass else "mass")
    rs = person_np("subj")
    rel = wch([(5, [Tok("that", "PRON", "WDT")]), (2, [Tok("which", "PRON", "WDT")])] + ([(4, [])] if rs.pron else []))
    tense = ch(["past", "past", "perf", "pres"])
    if v.stative and tense == "perf":
        tense = "past"
    rc = list(rs.units) + vgroup(v, rs, tense)
    rc = contract_subject(rc, rs, 0.3)
    if maybe(0.5) and n.pred:
        past = maybe(0.5)
        b = be_tok(np_, past)
        pred = [Tok(ch(["very", "really", "too", "quite"]), "ADV", "RB")] if maybe(0.3) else []
        pred += [Tok(ch(n.pred), "ADJ", "JJ")]
        units = np_.units + rel + rc + [b] + pred
    else:
        if n.cls in ("thing", "food"):
            loc = place_pp(ch(["kitchen", "room", "garden", "office", "house"]), ch(["in", "in", "near"])) if maybe(0.6) else \
                [Tok("on", "ADP", "IN"), Tok("the", "DET", "DT"), Tok("table", "NOUN", "NN")]
            b = be_tok(np_, maybe(0.5))
            units = np_.units + rel + rc + [b] + ([Tok("still", "ADV", "RB")] if maybe(0.3) else []) + loc
        else:
            units = list(person_np("subj").units)
            subj2 = NP(units, 3, "sg")
            vv = ch(["liked", "loved", "remembered", "enjoyed", "forgot"])
            lem = {"liked": "like", "loved": "love", "remembered": "remember", "enjoyed": "enjoy", "forgot": "forget"}[vv]
            units = units + [Tok(vv, "VERB", "VBD", lem)] + np_.units + rel + rc
    return end(units)


lex("remembered", "VERB", "VBD", "remember")
lex("enjoyed", "VERB", "VBD", "enjoy")


def s_rel_subj():
    key = ch(CLASS_NOUNS["person"])
    n = NOUNS[key]
    pl = maybe(0.3)
    head = Tok(n.pl if pl else n.sg, "NOUN", "NNS" if pl else "NN", n.sg)
    v = pick_verb(lambda v: bool(v.objs) and "person" in v.subj)
    rs = NP([], 3, "pl" if pl else "sg")
    tense = ch(["pres", "past", "prog", "perf"])
    if v.stative and tense == "prog":
        tense = "pres"
    rel = Tok("who", "PRON", "WP") if maybe(0.6) else Tok("that", "PRON", "WDT")
    rc = [rel] + vgroup(v, rs, tense) + vp_tail(v, tense, allow_place=False)
    if maybe(0.5):
        d = [Tok("the", "DET", "DT")]
        b = be_tok(rs, maybe(0.5))
        pred = ch([[Tok(ch(CLASS_PRED["person"].split()), "ADJ", "JJ")],
                   [poss_tok()] + [Tok(ch(["uncle", "aunt", "cousin", "neighbor", "friend", "brother", "sister"]), "NOUN", "NN")] if not pl else
                   [poss_tok(), Tok(ch(["cousins", "neighbors", "friends", "brothers"]), "NOUN", "NNS", None)]])
        if pred[-1].upos == "NOUN" and pred[-1].xpos == "NNS":
            pred[-1] = Tok(pred[-1].form, "NOUN", "NNS", pred[-1].form[:-1])
        units = d + [head] + rc + [b] + pred
    else:
        subj = person_np("subj")
        know = vgroup(VERBS["like"] if maybe(0.5) else _know_verb(), subj, ch(["pres", "past"]))
        dd = [Tok(a_or_an(head.form), "DET", "DT", "a")] if not pl else ([Tok("some", "DET", "DT")] if maybe(0.5) else [])
        units = contract_subject(list(subj.units) + know + dd + [head] + rc, subj)
    return end(units)


_KNOW = None


def _know_verb():
    global _KNOW
    if _KNOW is None:
        _KNOW = Verb("know", "know knows knew known knowing", "person", "", "stative")
    return _KNOW


INF_VERBS = [("want", "wants", "wanted"), ("need", "needs", "needed"), ("like", "likes", "liked"),
             ("love", "loves", "loved"), ("hope", "hopes", "hoped"), ("plan", "plans", "planned"),
             ("try", "tries", "tried"), ("decide", "decides", "decided"), ("forget", "forgets", "forgot"),
             ("learn", "learns", "learned"), ("promise", "promises", "promised"), ("have", "has", "had")]
for _b, _s, _p in INF_VERBS:
    lex(_b, "VERB", "VB")
    lex(_b, "VERB", "VBP")
    lex(_s, "VERB", "VBZ", _b)
    lex(_p, "VERB", "VBD", _b)


def s_inf():
    subj = person_np("subj")
    b, s, p = ch(INF_VERBS)
    tense = ch(["pres", "past", "past", "fut"])
    neg = maybe(0.15)
    if tense == "pres":
        if neg:
            aux = Tok("does" if is3(subj) else "do", "AUX", "VBZ" if is3(subj) else "VBP", "do")
            vg = negate(aux) + [Tok(b, "VERB", "VB")]
        else:
            vg = [Tok(s if is3(subj) else b, "VERB", "VBZ" if is3(subj) else "VBP", b)]
    elif tense == "past":
        vg = (negate(Tok("did", "AUX", "VBD", "do")) + [Tok(b, "VERB", "VB")]) if neg else [Tok(p, "VERB", "VBD", b)]
    else:
        w = Tok("will", "AUX", "MD")
        vg = (negate(w) if neg else [w]) + [Tok(b, "VERB", "VB")]
    v = pick_verb(lambda v: "person" in v.subj and not v.dur and not v.stative)
    units = list(subj.units) + vg + [Tok("to", "PART", "TO"), v.tok("VB")] + vp_tail(v, "fut")
    if maybe(0.25):
        units += time_expr(tense if tense != "pres" else "hab")
    return end(contract_subject(units, subj))


PURPOSE = {
    "market": [("buy", "bread cheese apple tomato orange peach bean flower")],
    "library": [("borrow", "book"), ("read", "newspaper book")],
    "park": [("walk_t", "dog"), ("fly_t", "kite"), ("play", "game")],
    "station": [("meet", "friend cousin aunt"), ("catch", "train bus"), ("buy", "ticket")],
    "cafe": [("drink", "coffee tea juice"), ("meet", "friend"), ("eat", "sandwich salad cake")],
    "bakery": [("buy", "bread cake pie cookie")],
    "kitchen": [("cook", "dinner soup rice"), ("bake", "cake bread pie")],
    "airport": [("meet", "cousin uncle friend")],
    "lake": [("fish", ""), ("swim", "")],
    "river": [("fish", ""), ("swim", "")],
    "garage": [],
}


def s_purpose():
    place = ch([p for p in PURPOSE if PURPOSE[p]])
    vk, objs = ch(PURPOSE[place])
    if vk not in VERBS or (not objs and vk not in ("fish", "swim")):
        vk, objs = "buy", "bread"
    v = VERBS[vk]
    subj = person_np("subj")
    tense = ch(["past", "past", "pres", "going", "fut"])
    if place in ("lake", "river"):
        goto = [Tok("to", "ADP", "IN"), Tok("the", "DET", "DT"), Tok(place, "NOUN", "NN")]
    else:
        goto = [Tok("to", "ADP", "IN"), Tok("the", "DET", "DT"), Tok(place, "NOUN", "NN")]
    go = VERBS["go"]
    vg = vgroup(go, subj, tense)
    units = list(subj.units) + vg + goto + [Tok("to", "PART", "TO"), v.tok("VB")]
    if objs:
        units += obj_np(ch(objs.split())).units
    if maybe(0.3):
        units += time_expr(tense)
    return end(contract_subject(units, subj))


def s_passive():
    v = pick_verb(lambda v: bool(v.objs) and v.key not in ("have", "need", "want", "like", "love", "see", "fly_t", "can"))
    spec = ch(v.objs)
    key, _, force = spec.partition(":")
    n = NOUNS[key]
    if n.cls == "person":
        return s_simple()
    np_ = noun_np(key, num=force or None, det="the" if maybe(0.7) else None, role="subj")
    past = maybe(0.65)
    b = be_tok(np_, past)
    r = R.random()
    if r < 0.5:
        agent = [Tok("by", "ADP", "IN")] + person_np("obj").units
    elif r < 0.7 and not past:
        agent = T(ch(TIMES["hab"]))
    else:
        agent = T(ch(TIMES["past"])) if past else []
    mid = [Tok(ch(["already", "just", "never", "often", "always"]), "ADV", "RB")] if maybe(0.15) else []
    if maybe(0.2):
        aux = [Tok("has" if np_.num == "sg" else "have", "AUX", "VBZ" if np_.num == "sg" else "VBP", "have"),
               Tok("been", "AUX", "VBN", "be")]
        if mid:
            aux = aux[:1] + mid + aux[1:]
            mid = []
        agent = agent if agent and agent[0].form == "by" else []
        units = np_.units + aux + [v.tok("VBN")] + agent
    else:
        units = np_.units + [b] + mid + [v.tok("VBN")] + agent
    return end(units)


def s_compar():
    r = R.random()
    if r < 0.5:
        cls = ch(["thing", "vehicle", "animal", "building", "outdoor", "food"])
        key = ch([k for k in CLASS_NOUNS[cls] if any(a in ADJ_COMP for a in NOUNS[k].pred)])
        n = NOUNS[key]
        adj = ch([a for a in n.pred if a in ADJ_COMP])
        a = noun_np(key, num="sg", det="this")
        other = ch([[Tok("that", "DET", "DT"), Tok("one", "PRON", "NN")],
                    [Tok("the", "DET", "DT"), Tok(ch(["old", "red", "blue", "other"]), "ADJ", "JJ"), Tok("one", "PRON", "NN")],
                    [Tok("mine", "PRON", "PRP", "my")]])
        b = be_tok(a, maybe(0.3))
        units = a.units + [b] + ([Tok("much", "ADV", "RB")] if maybe(0.2) else []) + \
            [Tok(ADJ_COMP[adj], "ADJ", "JJR", adj), Tok("than", "ADP", "IN")] + other
    elif r < 0.75:
        subj = person_np("subj")
        adj = ch(["tall", "young", "old", "kind", "busy", "quiet", "happy"])
        b = be_tok(subj, maybe(0.3))
        other = person_np("obj").units if maybe(0.6) else [poss_tok(), Tok(ch(["brother", "sister", "cousin", "friend"]), "NOUN", "NN")]
        units = contract_subject(list(subj.units) + [b, Tok(ADJ_COMP[adj], "ADJ", "JJR", adj), Tok("than", "ADP", "IN")] + other, subj)
    else:
        subj = noun_np(ch(["train", "bus", "car", "bike", "horse", "dog", "runner", "plane", "boat"]), num="sg", det="the")
        v = ch([("run", "runs", "ran"), ("go", "goes", "went"), ("move", "moves", "moved"), ("travel", "travels", "traveled")])
        past = maybe(0.4)
        vt = Tok(v[2] if past else v[1], "VERB", "VBD" if past else "VBZ", v[0])
        cmp_ = ch([[Tok("faster", "ADV", "RBR", "fast")], [Tok("more", "ADV", "RBR", "more"), Tok("slowly", "ADV", "RB")],
                   [Tok("more", "ADV", "RBR"), Tok("quietly", "ADV", "RB")]])
        other = noun_np(ch(["train", "bus", "car", "bike", "horse", "dog", "boat"]), num="sg", det="the").units
        units = subj.units + [vt] + cmp_ + [Tok("than", "ADP", "IN")] + other
    return end(units)


lex("move", "VERB", "VB")
lex("moves", "VERB", "VBZ", "move")
lex("travel", "VERB", "VB")
lex("travels", "VERB", "VBZ", "travel")
lex("traveled", "VERB", "VBD", "travel")


def s_list():
    v = pick_verb(lambda v: len(v.objs) >= 3 and "person" in v.subj)
    subj = person_np("subj")
    tense = ch(["past", "past", "pres", "fut", "going"])
    objs = R.sample(v.objs, 3 if maybe(0.6) else 2)
    nps = []
    for o in objs:
        np_ = obj_np(o)
        while np_.pron:
            np_ = obj_np(o)
        nps.append(np_.units)
    units = list(subj.units) + vgroup(v, subj, tense)
    for i, np_ in enumerate(nps):
        if i == len(nps) - 1:
            units.append(Tok(ch(["and", "and", "or"]) if len(nps) > 1 else "and", "CCONJ", "CC"))
        elif i > 0:
            units.append(comma())
        units += np_
    if maybe(0.3):
        units += time_expr(tense)
    return end(contract_subject(units, subj))


def s_speech():
    q = Tok('"', "PUNCT", "``")
    r = R.random()
    spk = name_units() if maybe(0.6) else person_np("obj").units
    said = Tok(ch(["said", "said", "whispered", "shouted", "replied"]), "VERB", "VBD")
    said.lemma = {"said": "say", "whispered": "whisper", "shouted": "shout", "replied": "reply"}[said.form]
    if r < 0.5:
        inner = _lower_first(s_simple()[:-1]) if maybe(0.5) else _lower_first(s_copula()[:-1])
        inner = capfirst(inner)
        if maybe(0.5):
            return [q] + inner + [comma(), Tok('"', "PUNCT", "''")] + [said] + spk + [Tok(".", "PUNCT", ".")]
        return spk + [said, comma(), q] + inner + [Tok(".", "PUNCT", "."), Tok('"', "PUNCT", "''")]
    inner = s_ynq() if maybe(0.5) else s_whq()
    asked = Tok("asked", "VERB", "VBD", "ask")
    return [q] + inner + [Tok('"', "PUNCT", "''")] + [asked] + spk + [Tok(".", "PUNCT", ".")]


lex("replied", "VERB", "VBD", "reply")
lex("whispered", "VERB", "VBD", "whisper")


def s_intj():
    r = R.random()
    if r < 0.2:
        s = s_simple()
        return [Tok("Oh", "INTJ", "UH"), comma()] + _lower_first(s[:-1]) + [Tok("!", "PUNCT", ".")]
    if r < 0.4:
        s = ch([s_simple, s_comp, s_copula])()
        return [Tok("Well", "INTJ", "UH"), comma()] + _lower_first(s)
    if r < 0.6:
        s = ch([s_simple, s_copula])()
        return [Tok(ch(["Yes", "No"]), "INTJ", "UH"), comma()] + _lower_first(s)
    if r < 0.75:
        return capfirst(T(ch(["hello , {NAME} !", "hi , {NAME} , how are you ?",
                              "goodbye , {NAME} , and thanks/NOUN/NN/thanks for everything !",
                              "thanks/NOUN/NN/thanks , {NAME} ; that/PRON/DT was very kind of you .",
                              "wow , look/VERB/VB at that/DET {ANIMAL} !", "hey , {NAME} , wait/VERB/VB for me !",
                              "oh , I forgot/VERB my {THING} !", "yes , please .", "no/INTJ , thanks/NOUN/NN/thanks ."])))
    s = s_imp()
    return [Tok("Please", "INTJ", "UH"), comma()] + _lower_first(s) if s[0].form not in ("Please", "Don't", "Let's") else s


def s_long():
    """Longer sentences: three clauses joined by subordination and coordination."""
    r = R.random()
    if r < 0.35:
        conj = ch(["when", "after", "before", "because", "although"])
        a, _ = clause(tense="past", time_p=0.0)
        b, _ = clause(tense="past", time_p=0.3)
        c, _ = clause(tense=ch(["past", "pastprog"]), time_p=0.2)
        ctok = Tok("when", "ADV", "WRB") if conj == "when" else Tok(conj, "SCONJ", "IN")
        cc = Tok(ch(["and", "but", "and"]), "CCONJ", "CC")
        return end([ctok] + a + [comma()] + b + [comma(), cc] + c)
    if r < 0.6:
        subj = person_np("subj")
        w = ch([("said", "say"), ("told", "tell"), ("thought", "think"), ("explained", "explain")])
        units = list(subj.units) + [Tok(w[0], "VERB", "VBD", w[1])]
        if w[0] == "told":
            units += [Tok("us", "PRON", "PRP", "we")]
        a, _ = clause(tense=ch(["past", "pastprog", "perf"]), time_p=0.3)
        b, _ = clause(tense=ch(["past", "pres"]), time_p=0.2)
        conj = ch(["because", "although", "while", "because"])
        return end(units + [Tok("that", "SCONJ", "IN")] + a + [Tok(conj, "SCONJ", "IN")] + b)
    if r < 0.8:
        a, _ = clause(tense="pres", time_p=0.0)
        b, _ = clause(tense=ch(["fut", "going", "modal"]), time_p=0.4)
        c, _ = clause(tense=ch(["fut", "modal"]), time_p=0.2)
        return end([Tok("if", "SCONJ", "IN")] + a + [comma()] + b + [comma(), Tok(ch(["and", "but", "or"]), "CCONJ", "CC")] + c)
    a, _ = clause(time_p=0.5)
    b, _ = clause(time_p=0.3)
    c, _ = clause(time_p=0.3)
    return end(a + [Tok(";", "PUNCT", ":")] + b + [comma(), Tok(ch(["and", "but"]), "CCONJ", "CC")] + c)


TEMPLATES = [
    (10, s_long),
    (22, s_simple), (8, s_copula), (5, s_cop_noun), (5, s_exist), (8, s_ynq), (8, s_whq),
    (7, s_imp), (6, s_comp), (8, s_adv), (6, s_coord), (5, s_rel_obj), (4, s_rel_subj),
    (6, s_inf), (4, s_purpose), (4, s_passive), (4, s_compar), (3, s_list), (3, s_speech),
    (3, s_intj),
]


# ---------------------------------------------------------------- string patterns
# Each pattern is written in the compact notation; ambiguous words carry
# explicit tags.  {SLOT}s are filled at random (see SLOTS).

PATTERNS = r"""
# book
{SUBJ} booked/VERB a table for {NUMW} at the hotel restaurant .
did/AUX you book/VERB the tickets for {DAY} ?
I need to/PART book/VERB a taxi to/ADP the airport .
{PERSON} is reading a book/NOUN about/ADP old ships .
this/DET book/NOUN is too heavy to/PART carry .
please book/VERB two seats on the early/ADJ train/NOUN .
the book/NOUN that/PRON/WDT {NAME} lent me is on the shelf .
we booked/VERB a room with a view of the sea .
{FN} wrote a book/NOUN about/ADP her/PRON/PRP$ grandmother's farm .
# saw
{SUBJ} saw/VERB a fox near the river {PASTT} .
I saw/VERB {FN} at the market and she waved .
the saw/NOUN is in the shed behind the house .
{MN} cut/VERB/VBD the old branch with a saw/NOUN .
be/AUX/VB careful ; that/DET saw/NOUN is very sharp .
have/AUX you seen my saw/NOUN ?
we saw/VERB three ducks/NOUN on the pond .
nobody saw/VERB the storm coming/VERB .
# can
{SUBJ} can/AUX swim/VERB across the lake .
can/AUX you help/VERB me with this/DET box ?
I can't find/VERB the can/NOUN opener .
there/PRON is a can/NOUN of soup in the cupboard .
my grandmother cans/VERB/VBZ/can tomatoes every summer .
they canned/VERB peaches and pears last/ADJ autumn .
recycle/VERB the empty/ADJ cans/NOUN , please .
a can/NOUN of paint/NOUN fell off/ADP the shelf .
how/ADV many cans/NOUN of beans do/AUX/VBP we need/VERB ?
# play
{PEOPLE} play/VERB/VBP football in the park/NOUN every {DAY} .
we saw/VERB a play/NOUN at the theater last/ADJ night .
the children wrote a short play/NOUN about/ADP a brave duck/NOUN .
{FN} plays/VERB the piano beautifully .
let's play/VERB a game of chess .
the play/NOUN lasted/VERB nearly three hours .
the school play/NOUN starts on {DAY} at {CLOCK} .
# run
{PEOPLE} run/VERB/VBP along the beach every morning .
{SUBJ} went for a run/NOUN before/ADP breakfast .
the dog ran/VERB across the field .
the morning run/NOUN was cold but beautiful .
don't run/VERB in the corridor !
my aunt runs/VERB a small bakery on {STREET} .
the show/NOUN had/VERB a long/ADJ run/NOUN in {CITY} .
how/ADV fast/ADV can/AUX you run/VERB ?
# watch
we watched/VERB the sunset from the hill .
{MN} checked/VERB/VBD/check his watch/NOUN and started to/PART run/VERB .
watch/VERB out/ADP/RP for ice on the road !
my watch/NOUN is five minutes fast/ADJ .
can/AUX you watch/VERB the children for an hour ?
she bought a new watch/NOUN for her/PRON/PRP$ father .
{PEOPLE} watch/VERB/VBP the news every evening .
# light
turn/VERB on/ADP/RP the light/NOUN , please .
the light/NOUN in the kitchen doesn't work/VERB .
this/DET jacket is light/ADJ and warm .
we had/VERB a light/ADJ lunch in the garden .
{SUBJ} lit/VERB a candle and sat/VERB by the window .
could you light/VERB the fire ? it's getting cold .
the morning light/NOUN filled the room .
light/ADJ rain/NOUN fell all/DET afternoon .
the box was lighter/ADJ than I expected/VERB/VBD/expect .
# back
{SUBJ} came back/ADV from {CITY} on/ADP {DAY} .
my back/NOUN hurts after/ADP all/DET that/DET gardening/NOUN .
we sat on the back/ADJ seat of the bus .
the key is under the mat by the back/ADJ door .
{PEOPLE} backed/VERB the plan/NOUN at the meeting/NOUN .
write your name on the back/NOUN of the photo .
I will call you back/ADV later .
please bring my umbrella back/ADV tomorrow .
she stood at the back/NOUN of the hall and listened/VERB/VBD/listen .
# fly
birds fly/VERB/VBP south in the autumn .
there/PRON is a fly/NOUN in my soup !
{SUBJ} flew/VERB to/ADP {CITY} last/ADJ {DAY} .
the kids fly/VERB/VBP kites on the beach when it is windy .
a fly/NOUN buzzed against the window .
time flies/VERB/VBZ when you are busy .
have/AUX you ever flown/VERB a plane ?
# park
we had/VERB a picnic in the park/NOUN .
you can/AUX park/VERB behind the library .
where did/AUX you park/VERB the car ?
the park/NOUN closes at sunset .
{SUBJ} parked/VERB the van outside/ADP the bakery .
is it easy to/PART park/VERB near the station ?
the new park/NOUN has/VERB a pond and a playground/NOUN/NN .
# set
set/VERB/VB the table , please ; dinner is ready .
{SUBJ} set/VERB/VBD an alarm for {CLOCK} .
she bought a set/NOUN of blue plates .
the sun sets/VERB/VBZ early/ADV in/ADP winter .
this/DET chess set/NOUN belonged to/ADP my grandfather .
have/AUX you set/VERB/VBN the clock ?
the sun had/AUX already set/VERB/VBN when we reached the top/NOUN of the hill .
# that
that/PRON/DT is a good idea .
I know that/SCONJ you are busy .
who owns/VERB/VBZ/own that/DET red bike ?
the cake that/PRON/WDT you made/VERB/VBD was delicious .
is that/PRON/DT your umbrella ?
{FN} said that/SCONJ the museum was closed/ADJ/JJ on/ADP {DAYS} .
that/DET dog barks/VERB all night .
I didn't know that/SCONJ {NAME} could/AUX sing/VERB .
# like
I like/VERB/VBP walking in the rain/NOUN .
it smells like/ADP coffee in here .
he looks/VERB/VBZ/look like/ADP his father .
would/AUX you like/VERB some tea ?
{FN} sings like/ADP a bird .
{PEOPLE} like/VERB/VBP the new teacher .
cities like/ADP {CITY} are very busy in summer .
it looks/VERB/VBZ/look like/ADP rain/NOUN .
# round
we sat at a round/ADJ table .
the bus goes/VERB/VBZ/go round/ADP the lake .
turn/VERB round/ADV and look/VERB at the mountains .
{MN} won the first round/NOUN .
it's my round/NOUN ; what/PRON are you drinking ?
come/VERB round/ADV for dinner on/ADP {DAY} .
the car rounded/VERB/VBD/round the corner too fast/ADV .
the children ran round/ADP and round/ADP the garden .
# well
{FN} speaks/VERB/VBZ/speak French very well/ADV .
well/INTJ , I think we should go/VERB .
they dug a new well/NOUN behind the farm .
I hope you are well/ADJ .
the old well/NOUN in the square is dry .
did/AUX you sleep/VERB well/ADV ?
well/INTJ , that/PRON/DT was a surprise !
the team played/VERB very well/ADV on/ADP {DAY} .
# last
the last/ADJ bus leaves/VERB at {CLOCK} .
the storm lasted/VERB three days .
{MN} came last/ADV in the race .
will the good weather last/VERB ?
fresh bread doesn't last/VERB long/ADV .
I saw/VERB her/PRON/PRP last/ADJ {DAY} .
last/ADJ year we went to/ADP {CITY} .
the meeting/NOUN won't last/VERB more/ADJ/JJR than an hour .
# open
the shop is open/ADJ until/ADP {CLOCK} .
open/VERB your books/NOUN at page {DIG} .
{SUBJ} opened/VERB the letter with a knife .
leave/VERB the door open/ADJ , please .
the new library opens/VERB on/ADP {DAY} .
the window was wide/ADV open/ADJ .
is the bakery open/ADJ on/ADP {DAYS} ?
# fast
the fast/ADJ train/NOUN to/ADP {CITY} takes two hours .
{FN} runs/VERB very fast/ADV .
don't eat/VERB so fast/ADV !
some people fast/VERB/VBP during Ramadan .
the river is deep and fast/ADJ here .
that/DET was a very fast/ADJ race/NOUN .
# duck
a duck/NOUN swam across the pond .
{MN} ducked/VERB under the low/ADJ branch .
duck/VERB ! the door is very low/ADJ .
the children fed/VERB the ducks/NOUN some bread .
we had/VERB roast duck/NOUN for dinner .
the ducks/NOUN on the lake are hungry .
# train
the train/NOUN to/ADP {CITY} was late/ADJ again .
{PERSON} trains/VERB/VBZ young horses .
we took the night train/NOUN to/ADP {CITY} .
they train/VERB/VBP every evening at the stadium .
she is training/VERB for a marathon .
our train/NOUN leaves/VERB from platform {DIG} .
{PERSON} trained/VERB the dog to/PART sit/VERB .
# rock
he sat/VERB on a big rock/NOUN by the sea .
the waves rocked/VERB the boat gently .
do/AUX you like/VERB rock/NOUN music ?
someone threw a rock/NOUN at the window .
{FN} rocked/VERB the baby in her/PRON/PRP$ arms/NOUN/NNS/arm .
# face
wash/VERB your face/NOUN before/ADP dinner .
our house faces/VERB/VBZ the sea .
{SUBJ} had/VERB to/PART face/VERB the problem alone .
her/PRON/PRP$ face/NOUN turned/VERB/VBD red .
she smiled/VERB , but her/PRON/PRP$ face/NOUN was sad .
the hotel faces/VERB/VBZ the harbor .
# other ambiguous words
water/VERB the tomatoes every evening in/ADP {MONTH} .
the water/NOUN in the lake is very cold .
{PERSON} planted/VERB three apple trees in the garden .
this/DET plant/NOUN needs more/ADJ/JJR light/NOUN .
we went for a walk/NOUN after/ADP dinner .
{SUBJ} took the dog for a walk/NOUN .
the walk/NOUN to/ADP the station takes twenty minutes .
it was a long/ADJ walk/NOUN , but the view was worth/ADJ/JJ it .
I walk/VERB/VBP to/ADP work/NOUN every day .
{PERSON} works/VERB at the hospital .
my work/NOUN starts at {CLOCK} .
thanks/NOUN/NN/thanks for your help/NOUN , {NAME} .
help/VERB ! somebody call/VERB/VB a doctor !
the paint/NOUN is still/ADV wet .
we painted/VERB the fence green .
{FN} wears a gold ring/NOUN on her/PRON/PRP$ left/ADJ hand .
the phone rang/VERB twice and then stopped/VERB/VBD .
the sign/NOUN on the gate says/VERB/VBZ/say " closed/ADJ/JJ " .
please sign/VERB the letter here .
we watched/VERB a show/NOUN about/ADP whales .
could you show/VERB me the way to/ADP the station ?
the kitchen is clean/ADJ now .
my hands/NOUN/NNS/hand are clean/ADJ now .
put/VERB/VB on/ADP/RP a clean/ADJ shirt before/ADP dinner .
the water/NOUN in the lake is clean/ADJ and cold .
{PERSON} cleaned/VERB the kitchen after/ADP the party .
the box is empty/ADJ .
{MN} emptied/VERB the bottle into the sink .
please close/VERB the window ; it's cold .
the station is close/ADJ to/ADP the hotel .
the {BUILDING} is quite close/ADJ to/ADP the {PLACE} .
{NAME} and {NAME} are close/ADJ friends .
is the {BUILDING} close/ADJ to/ADP here ?
the cook/NOUN at the cafe makes great soup .
{PERSON} cooks/VERB dinner on/ADP {DAYS} .
is anybody home/ADV ?
our home/NOUN is small but bright .
{SUBJ} stayed at home/NOUN all/DET weekend .
the lake was still/ADJ and quiet this/DET morning .
the bus was still/ADV full when it reached the station .
take the second street on the right/NOUN/NN .
you are right/ADJ ; the shop closes at six .
turn right/ADV at the bridge .
{NAME} left/VERB before/ADP dessert .
turn left/ADV at the traffic lights/NOUN .
my left/ADJ foot/NOUN/NN hurts .
one/NUM coffee and two teas , please .
this/DET cup is dirty ; can/AUX I have/VERB another one/PRON ?
there/PRON are twelve eggs in the fridge .
put/VERB/VB the boxes over there/ADV .
I have/VERB/VBP two brothers and a sister .
have/AUX/VBP you ever been to/ADP {CITY} ?
did/AUX you do/VERB/VB your homework ?
what/PRON do/AUX you do/VERB/VB on/ADP weekends ?
please call/VERB me before/SCONJ you leave/VERB/VBP .
I'll see/VERB you after/ADP lunch .
after/SCONJ the rain/NOUN stopped/VERB/VBD , we went outside/ADV .
we have/AUX/VBP lived/VERB/VBN/live here since/ADP {YEAR} .
since/SCONJ it was late/ADJ , we took a taxi .
wait/VERB here until/SCONJ I come/VERB/VBP back/ADV .
the shop is closed/ADJ/JJ until/ADP {DAY} .
may/AUX I open/VERB the window ?
{FN} was born/VERB in/ADP May/PROPN .
it may/AUX rain/VERB later .
the festival/NOUN takes place/NOUN in/ADP May/PROPN .
{PEOPLE} went out/ADV after/ADP dinner .
the cat ran out/ADP of the kitchen .
{MN} walked up/ADP the hill .
please pick/VERB up/ADP/RP your toys/NOUN/NNS/toy .
as/SCONJ it was raining , we stayed inside/ADV .
{FN} works as/ADP a nurse in {CITY} .
# more context-dependent words
{PERSON} gave me a set/NOUN of keys to/ADP the house .
the chess set/NOUN is in the top/ADJ/JJ drawer/NOUN/NN .
we bought a new set/NOUN of plates for the kitchen .
a set/NOUN of old tools hangs/VERB/VBZ/hang in the shed .
{SUBJ} planted/VERB roses/NOUN/NNS/rose along the fence .
we plant/VERB/VBP beans in/ADP {MONTH} .
{PEOPLE} planted/VERB a tree for every child in the village .
{FN} lost/VERB/VBD her/PRON/PRP$ ring/NOUN in the garden .
the ring/NOUN was too small for his finger/NOUN/NN .
ring/VERB the bell twice , please .
the church/NOUN/NN bells/NOUN ring/VERB/VBP at noon on/ADP {DAYS} .
{SUBJ} came back/ADV from a run/NOUN and drank a glass of water/NOUN .
a short run/NOUN in the morning helps/VERB/VBZ/help me think .
after/ADP a long/ADJ run/NOUN , the runners rested/VERB/VBD/rest under the trees .
my aunt cans/VERB/VBZ/can beans and tomatoes every autumn .
we can/AUX can/VERB/VB the peaches tomorrow .
one/NUM ticket for the concert , please .
only one/NUM student finished the test/NOUN/NN .
the bakery sells one/NUM kind/NOUN/NN of bread .
I need a new umbrella ; my old one/PRON is broken/ADJ/JJ .
put/VERB/VB your bags over/ADV/RB there/ADV , by the door .
I left/VERB/VBD my coat there/ADV yesterday .
is {NAME} there/ADV ?
keep/VERB still/ADJ while I take the photo .
the air/NOUN/NN was hot and still/ADJ .
are you still/ADV at the office ?
{FN} worked as/ADP a waiter in {CITY} .
as/ADP a child , {MN} lived/VERB/VBD/live near the sea .
we used the box as/ADP a table .
you look/VERB/VBP well/ADJ today .
the old well/NOUN has/AUX/VBZ been dry/ADJ for years .
we drew/VERB/VBD/draw water/NOUN from the well/NOUN .
a round/ADJ clock hung/VERB on the wall .
the plates are round/ADJ and white .
the earth/NOUN/NN is round/ADJ .
we watched a cooking/NOUN show/NOUN on/ADP television .
show/VERB me your ticket , please .
{PERSON} showed/VERB us the way to/ADP the harbor .
the sign/NOUN at the corner says/VERB/VBZ/say " stop/VERB/VB " .
you must sign/VERB your name at the bottom of the page .
the paint/NOUN on the door is still/ADV wet .
we need two cans/NOUN of white paint/NOUN .
{SUBJ} painted/VERB the kitchen yellow .
please empty/VERB/VB the bin before/SCONJ you go .
{MN} emptied/VERB his pockets/NOUN/NNS/pocket on the table .
we stayed home/ADV because/SCONJ of the rain/NOUN .
this/DET old house is our home/NOUN .
{NAME} left/VERB/VBD home/NOUN at the age/NOUN/NN of eighteen/NUM/CD .
the shop is on the right/NOUN/NN , next/ADJ to/ADP the bank/NOUN/NN .
that/PRON/DT sounds/VERB/VBZ right/ADJ to/ADP me .
she writes/VERB/VBZ/write with her/PRON/PRP$ left/ADJ hand .
there/PRON is one/NUM apple left/VERB/VBN .
take the road on the left/NOUN/NN .
a fly/NOUN landed on the cake .
the flies/NOUN were terrible/ADJ/JJ in/ADP July .
he fell/VERB/VBD and hurt/VERB/VBD his face/NOUN .
{PERSON} has/VERB/VBZ a kind/ADJ face/NOUN .
the band/NOUN/NN played/VERB rock/NOUN and jazz/NOUN/NN all/DET night .
the rocks/NOUN on the beach were wet/ADJ .
{FN} gently/ADV rocked/VERB the cradle/NOUN/NN .
{NAME} visits/VERB/VBZ/visit {CITY} every May/PROPN .
the garden is beautiful in/ADP May/PROPN and/CCONJ June/PROPN .
you may/AUX sit/VERB here .
{NAME} has/AUX lived/VERB/VBN/live in {CITY} since/ADP {YEAR} .
I haven't seen {FN} since/SCONJ she moved/VERB/VBD to/ADP {CITY} .
after/SCONJ we ate , we washed the dishes .
we cleaned the house before/SCONJ the guests arrived/VERB/VBD/arrive .
{PEOPLE} left/VERB/VBD before/ADP sunrise/NOUN/NN .
the cat jumped out/ADP of the box .
the lights/NOUN went/VERB out/ADP/RP at ten .
{FN} is out/ADV at the moment .
# numbers and symbols
the ticket costs $ {PRICE} .
a return/NOUN/NN ticket to/ADP {CITY} costs about/ADV $ {PRICE} .
about/ADV {PCT} % of the students walk/VERB/VBP to/ADP school/NOUN .
prices rose/VERB/VBD/rise by/ADP {PCT} % last/ADJ year .
the concert starts at {CLOCK} on/ADP {DAY} .
{FN} was born/VERB on/ADP {MONTH} {DATE} , {YEAR} .
the bridge is {DIG}0 meters long/ADJ .
flight {DIG}7 leaves/VERB at {CLOCK} .
2 + 2 = 4 , as/SCONJ every child knows .
the bakery is at {DIG} {STREET} .
we waited for {NUMW} minutes in the rain/NOUN .
there/PRON were {DIG}0 people at the concert .
the book/NOUN costs $ {PRICE} , but the library has/VERB a copy .
{PCT} % of the tickets were sold/VERB/VBN/sell in/ADP one/NUM day .
# foreign words and other X
the sign/NOUN on the cafe door said/VERB " bienvenue/X/FW " .
{FN} ended her/PRON/PRP$ letter with " ciao/X/FW " .
" merci/X/FW , " said the tourist with a smile/NOUN .
please send your questions to/ADP info@rnnlab.org/X/ADD .
you can/AUX find/VERB the recipe at www.rnnlab.org/X/ADD .
the menu said " soupe/X/FW du/X/FW jour/X/FW " in/ADP big letters .
"""

EXTRA2 = """
NOUN NN: playground copy return view sink alarm foot toys hall
VERB VBD: explained/explain owned/own expected/expect cut/cut sat/sit lit/light checked/check
VERB VBP: own expect
VERB VBZ: owns/own says/say speaks/speak goes/go costs/cost
NOUN NNS: meters letters arms minutes
VERB VBN: flown/fly sold/sell lived/live
"""
for _line in EXTRA2.strip().splitlines():
    _head, _words = _line.split(":", 1)
    _up, _xp = _head.split()
    for _w in _words.split():
        _f, _, _l = _w.partition("/")
        lex(_f, _up, _xp, _l or None)


def pattern_list():
    out = []
    for line in PATTERNS.strip().splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            out.append(line)
    return out


def s_pattern(pats):
    p = ch(pats)
    units = P(fill(p))
    return capfirst(units)


# ---------------------------------------------------------------- hand-written sentences

HANDWRITTEN = r"""
I can't find my keys anywhere .
could you book/VERB a table for four at eight ?
she left/VERB/VBD the book/NOUN on the kitchen table .
the carpenter put/VERB/VBD the saw/NOUN back/ADV in its box .
duck/VERB ! the ball is coming straight at you .
my grandfather used/VERB/VBD/use to/PART train/VERB horses on a farm near Dublin .
the last/ADJ train/NOUN to/ADP Boston leaves/VERB at 11:40 .
that/PRON/DT is not what/PRON I meant/VERB/VBD/mean .
I think that/SCONJ the pharmacy opens at nine .
is that/DET dog yours ?
the film that/PRON/WDT we watched/VERB last/ADJ night was far/ADV/RB too long/ADJ .
he runs/VERB faster/ADV/RBR/fast than anyone in his class .
they went for a long/ADJ run/NOUN along the river .
open/VERB the window , please ; it is very warm in/ADP here .
the museum is open/ADJ from 10:00 to/ADP 17:00 every day except Mondays .
well/INTJ , that/PRON/DT was a surprise !
she sings well/ADV , but she doesn't like/VERB performing in public/NOUN/NN .
the village still/ADV draws water/NOUN from an old well/NOUN .
turn/VERB off/ADP/RP the light/NOUN before/SCONJ you leave/VERB/VBP .
these boxes are light/ADJ enough/ADV/RB for a child to/PART carry .
can/AUX you light/VERB the candles on the cake ?
my back/NOUN hurts after/ADP the long/ADJ flight/NOUN .
we sat in the back/ADJ row and watched/VERB the play/NOUN .
he walked round/ADP the lake twice before/ADP breakfast .
the boxer won the third round/NOUN easily .
we ate/VERB at a round/ADJ table by the window .
birds fly/VERB/VBP south before/ADP the winter .
don't park/VERB in front/NOUN of the gate .
the children played/VERB football in the park/NOUN until/ADP sunset .
I usually run/VERB/VBP three miles before/ADP breakfast .
who is going/VERB/VBG/go to/PART watch/VERB the baby tonight ?
my watch/NOUN stopped/VERB/VBD this/DET morning .
there/PRON is a can/NOUN of beans in the cupboard and a jar/NOUN of honey/NOUN/NN next/ADJ to/ADP it .
in/ADP August my aunt cans/VERB/VBZ/can peaches from her/PRON/PRP$ garden .
set/VERB/VB the table for six , please .
she gave him a set/NOUN of tools for his birthday .
it looks/VERB/VBZ/look like/ADP rain/NOUN ; take/VERB/VB an umbrella .
I would/AUX like/VERB a cup of tea , please .
her/PRON/PRP$ brother swims like/ADP a fish/NOUN/NN .
we fished/VERB in the lake all/DET afternoon but caught/VERB/VBD nothing .
waves rocked/VERB the small boat all/DET night .
she turned/VERB/VBD to/PART face/VERB the crowd .
he washed/VERB his face/NOUN with cold water/NOUN .
the train/NOUN was twenty minutes late/ADJ .
nurses train/VERB/VBP for three years before/SCONJ they work/VERB/VBP in a hospital .
remember/VERB to/PART park/VERB behind the bakery .
fast/ADJ food/NOUN/NN is cheap but not very healthy .
don't drive/VERB so fast/ADV !
many people fast/VERB/VBP during the day in Ramadan .
the meeting/NOUN lasted/VERB two hours .
Lucy finished/VERB last/ADV , but she was smiling .
hello ! is anybody home/ADV ?
the bus was still/ADV full when we got/VERB/VBD/get off/ADP/RP .
the lake was still/ADJ and the air/NOUN/NN smelled/VERB of pine/NOUN/NN .
take the second street on the right/NOUN/NN .
you are right/ADJ ; the shop closes/VERB at six .
is there/PRON a pharmacy near here ?
put/VERB/VB the boxes over/ADV/RB there/ADV .
this/DET cup is dirty ; can/AUX I have/VERB another one/PRON ?
have/AUX/VBP you ever been to/ADP Lisbon ?
I have/VERB/VBP two brothers and a sister .
we had/VERB pizza for dinner on/ADP Friday .
what/PRON do/AUX you do/VERB/VB for a living/NOUN ?
the package arrived/VERB/VBD/arrive on/ADP 3 May/PROPN 2021 .
may/AUX I open/VERB the window ?
the tickets cost/VERB/VBP/cost $ 45 , or $ 40 if you book/VERB/VBP online .
about/ADV 30 % of the students walk/VERB/VBP to/ADP school/NOUN .
2 + 3 = 5 .
" bon/X/FW appetit/X/FW ! " said the waiter with a smile/NOUN .
" where are my glasses ? " asked Grandpa .
my brother ( the one/PRON who lives/VERB in Oslo ) is visiting/VERB/VBG/visit us next week .
the recipe needs/VERB/VBZ/need three things : flour , sugar and butter .
oh no/INTJ , I left/VERB/VBD my umbrella on the bus !
yes/INTJ , the library is open/ADJ on/ADP Sundays .
no/DET dogs are allowed in the kitchen .
how/ADV fast/ADV can/AUX a cheetah run/VERB ?
the cat jumped/VERB/VBD/jump back/ADV when the dog barked .
everyone stood/VERB up/ADP/RP as/SCONJ the judge/NOUN/NN entered the room .
he backed/VERB the van into the narrow lane .
she wrote her/PRON/PRP$ phone number/NOUN/NN on the back/NOUN of the envelope .
we missed the last/ADJ bus and had/VERB to/PART walk/VERB home/ADV .
good batteries last/VERB/VBP a long/ADJ time .
I can/AUX swim/VERB , but I can't dive .
pass/VERB me that/DET can/NOUN of paint/NOUN , please .
the kids watched/VERB the kite fly/VERB/VB over/ADP the hill .
a fly/NOUN landed on my sandwich .
the park/NOUN closes/VERB at dusk in/ADP winter .
whoever parked/VERB this/DET truck here must move it .
her/PRON/PRP$ plan/NOUN is to/PART open/VERB a bakery next spring .
the children like/VERB/VBP to/PART play/VERB in the snow/NOUN .
the school play/NOUN starts at seven .
wait/VERB for me at the corner ; I won't be long/ADJ .
happy birthday , Grace !
thanks/NOUN/NN/thanks for your help/NOUN , Tom .
help/VERB ! somebody call/VERB/VB a doctor !
I don't know whether the shop is open/ADJ today .
if you feel cold , close/VERB/VB the window .
the station is close/ADJ to/ADP the hotel .
although it was raining , the match went/VERB ahead .
she lit/VERB a fire and sat/VERB near it .
while we were waiting/VERB , it started to/PART snow/VERB .
everything was covered in snow/NOUN .
the water/NOUN is too cold for swimming/VERB .
water/VERB the tomatoes every evening in/ADP July .
could you show/VERB me the way to/ADP the station ?
we watched/VERB a show/NOUN about/ADP whales .
the phone rang/VERB twice and then stopped/VERB/VBD .
she wears a gold ring/NOUN on her/PRON/PRP$ left/ADJ hand .
he left/VERB/VBD before/ADP dessert .
turn/VERB left/ADV at the traffic lights/NOUN .
that/DET old bridge has/AUX stood/VERB/VBN/stand for three hundred years .
I'm not sure that/SCONJ he heard us .
what/DET/WDT a lovely day !
their flight/NOUN was delayed by fog .
Mrs. Novak teaches French at the local school/NOUN .
the cafe on/ADP Mill Road serves the best/ADJ/JJS/good coffee in town .
shall we walk/VERB or take a taxi ?
Dr. Okafor will see/VERB you now .
I saw/VERB her/PRON/PRP at the market last/ADJ Tuesday .
he cut/VERB/VBD the branch with a saw/NOUN .
excuse/VERB/VB me , I didn't catch your name .
Leo plays/VERB the violin and his sister plays/VERB the drums .
ouch ! I stepped/VERB/VBD/step on a rock/NOUN .
keep/VERB the change , please .
the river rose/VERB/VBD/rise after/ADP three days of heavy rain/NOUN .
in/ADP 1969 , people watched/VERB the moon/NOUN/NN landing/NOUN/NN on television/NOUN/NN .
my neighbor's dog barks/VERB whenever/SCONJ/WRB someone rings/VERB the bell .
the farmers are worried/ADJ/JJ about/ADP the dry summer .
could you turn/VERB the radio down/ADP/RP a little/ADJ/JJ ?
I'll meet/VERB you outside/ADP the cinema at half/NOUN past/ADP seven .
our teacher always/ADV says/VERB that/SCONJ practice/NOUN/NN makes/VERB/VBZ/make perfect/ADJ .
the lights/NOUN went/VERB out/ADP/RP during the storm .
there/PRON were no/DET taxis at the station , so/ADV we walked/VERB .
a light/ADJ breeze came/VERB from the sea .
he played/VERB the last/ADJ song twice .
my cousin flies/VERB/VBZ/fly to/ADP Seoul every spring .
the ducks/NOUN flew/VERB over/ADP the village at dawn/NOUN/NN .
don't forget/VERB to/PART lock/VERB/VB the back/ADJ door .
she put/VERB/VBD the kettle on/ADP/RP and waited/VERB .
the match/NOUN ended/VERB/VBD/end 2 - 1 .
I'm reading/VERB a book/NOUN about/ADP volcanoes/NOUN/NNS/volcano .
can/AUX I borrow/VERB your saw/NOUN for an hour ?
the old man sat/VERB on the bench and fed/VERB the pigeons/NOUN/NNS/pigeon .
it rained/VERB all/DET day , but the evening was clear/ADJ/JJ .
we set/VERB/VBD off/ADP/RP early/ADV to/PART avoid/VERB/VB the traffic .
the river runs/VERB/VBZ past/ADP the old mill/NOUN/NN .
they run/VERB/VBP a small cafe near the harbor .
the new cafe on/ADP King Street is always crowded .
please write/VERB your answer/NOUN on the back/NOUN of the page .
the doctor told/VERB me to/PART rest/VERB for a week .
that/PRON/DT is the house that/PRON/WDT my grandfather built/VERB/VBD/build .
"""

EXTRA3 = """
NOUN NN: honey food number air pine dawn landing television moon judge practice mill
NOUN NNS: volcanoes/volcano pigeons/pigeon taxis/taxi things/thing trees/tree
VERB VBZ: needs/need rings/ring lives/live makes/make closes/close flies/fly serves/serve runs/run says/say
VERB VBD: built/build stepped/step ended/end rose/rise jumped/jump arrived/arrive used/use meant/mean
VERB VB: lock avoid excuse pass rest remember dive drive move catch sit eat
ADJ JJ: worried far little clear perfect sad
NOUN NN: name menu
NOUN NNS: cities/city
VERB VB: snow rain
VERB VBZ: rains/rain snows/snow
ADV RB: long wide
"""
for _line in EXTRA3.strip().splitlines():
    _head, _words = _line.split(":", 1)
    _up, _xp = _head.split()
    for _w in _words.split():
        _f, _, _l = _w.partition("/")
        lex(_f, _up, _xp, _l or None)


def handwritten_sentences():
    out = []
    for line in HANDWRITTEN.strip().splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            out.append(capfirst(P(line)))
    return out


# ---------------------------------------------------------------- output

NO_SPACE_BEFORE = {".", ",", "?", "!", ";", ":", ")", "%", "..."}
NO_SPACE_AFTER = {"(", "$"}


def finalize(units):
    """Fix quote direction, compute SpaceAfter flags and the sentence text."""
    units = list(units)
    q_open = False
    for i, u in enumerate(units):
        if isinstance(u, Tok) and u.form == '"':
            units[i] = Tok('"', "PUNCT", "''" if q_open else "``", '"')
            q_open = not q_open
    n = len(units)
    space = [True] * n
    for i, u in enumerate(units):
        if i + 1 == n:
            break
        nx = units[i + 1]
        if nx.form in NO_SPACE_BEFORE or u.form in NO_SPACE_AFTER:
            space[i] = False
        if isinstance(nx, Tok) and nx.form == '"' and nx.xpos == "''":
            space[i] = False
        if isinstance(u, Tok) and u.form == '"' and u.xpos == "``":
            space[i] = False
        if u.form == "-" or nx.form == "-":
            space[i] = False
    text = ""
    for i, u in enumerate(units):
        text += u.form
        if i + 1 < n and space[i]:
            text += " "
    return units, space, text


def n_words(units):
    return sum(len(u.parts()) for u in units)


def to_conllu(units, space, text, sid):
    lines = ["# sent_id = %s" % sid, "# text = %s" % text]
    i = 1
    for k, u in enumerate(units):
        misc = "_" if (space[k] or k + 1 == len(units)) else "SpaceAfter=No"
        if isinstance(u, MWT):
            lines.append("%d-%d\t%s\t_\t_\t_\t_\t_\t_\t_\t%s" % (i, i + len(u.parts_) - 1, u.form, misc))
            for p in u.parts_:
                lines.append("\t".join([str(i), p.form, p.lemma, p.upos, p.xpos, "_", "_", "_", "_", "_"]))
                i += 1
        else:
            lines.append("\t".join([str(i), u.form, u.lemma, u.upos, u.xpos, "_", "_", "_", "_", misc]))
            i += 1
    return "\n".join(lines) + "\n\n"


def generate():
    sents = []           # (units, origin)
    seen = set()

    def add(units, origin):
        units, space, text = finalize(units)
        nw = n_words(units)
        if nw < MIN_LEN or nw > MAX_LEN:
            return False
        key = text.lower()
        if key in seen:
            return False
        seen.add(key)
        sents.append((units, space, text, origin))
        return True

    for u in handwritten_sentences():
        if not add(u, "hand"):
            raise SystemExit("hand-written sentence rejected: %s" % " ".join(x.form for x in u))
    n_hand = len(sents)
    pats = pattern_list()
    # every pattern once, then random mixture of patterns and templates
    for _ in range(2):
        for p in pats:
            add(capfirst(P(fill(p))), "pattern")
    tries = 0
    while len(sents) - n_hand < N_GENERATED:
        tries += 1
        if tries > 100000:
            raise SystemExit("could not generate enough distinct sentences")
        if maybe(0.3):
            add(s_pattern(pats), "pattern")
        else:
            fn = wch([(w, f) for w, f in TEMPLATES])
            add(fn(), "template")
    return sents


def _amb_pairs(units):
    out = set()
    for u in units:
        for p in u.parts():
            if p.form.lower() in AMBIGUOUS:
                out.add((p.form.lower(), p.upos))
    return out


def split(sents):
    """Shuffle and split ~80/10/10; then swap sentences so that every
    (ambiguous word, tag) pair of the corpus occurs at least twice in train
    (or as often as the corpus has it)."""
    order = list(range(len(sents)))
    random.Random(SEED + 1).shuffle(order)
    n = len(order)
    n_dev = int(round(n * SPLITS[1][1]))
    n_test = int(round(n * SPLITS[2][1]))
    where = {}
    for k, i in enumerate(order):
        where[i] = "dev" if k < n_dev else ("test" if k < n_dev + n_test else "train")
    pairs = [_amb_pairs(s[0]) for s in sents]
    total = Counter(p for ps in pairs for p in ps)
    for pair in sorted(total):
        need = min(2, total[pair])
        have = sum(1 for i in order if where[i] == "train" and pair in pairs[i])
        for i in order:
            if have >= need:
                break
            if where[i] != "train" and pair in pairs[i]:
                # swap with a train sentence that holds no ambiguous word
                j = next(j for j in reversed(order) if where[j] == "train" and not pairs[j])
                where[i], where[j] = "train", where[i]
                have += 1
    return {k: [sents[i] for i in range(n) if where[i] == k] for k, _ in SPLITS}


# ---------------------------------------------------------------- checking

def read_conllu(path):
    sents, cur, com = [], [], {}
    with open(path, encoding="utf-8") as fh:
        for ln, line in enumerate(fh, 1):
            line = line.rstrip("\n")
            if not line:
                if cur:
                    sents.append((com, cur))
                cur, com = [], {}
                continue
            if line.startswith("#"):
                k, _, v = line[1:].partition("=")
                com[k.strip()] = v.strip()
                continue
            cols = line.split("\t")
            if len(cols) != 10:
                raise SystemExit("%s:%d: %d columns" % (path, ln, len(cols)))
            cur.append(cols)
    if cur:
        sents.append((com, cur))
    return sents


def check(paths):
    errors = []
    texts = {}
    stats = {}
    for split_name, path in paths:
        sents = read_conllu(path)
        ids = set()
        words = 0
        for com, rows in sents:
            sid = com.get("sent_id")
            if not sid or "text" not in com:
                errors.append("%s: sentence without sent_id/text" % path)
                continue
            if sid in ids:
                errors.append("%s: duplicate sent_id %s" % (path, sid))
            ids.add(sid)
            expect = 1
            surface = ""
            skip_until = 0
            for cols in rows:
                if "-" in cols[0]:
                    a, b = map(int, cols[0].split("-"))
                    if a != expect or b <= a:
                        errors.append("%s %s: bad range %s" % (path, sid, cols[0]))
                    parts = [r for r in rows if r[0].isdigit() and a <= int(r[0]) <= b]
                    if "".join(p[1] for p in parts) != cols[1]:
                        errors.append("%s %s: range form %r != parts" % (path, sid, cols[1]))
                    surface += cols[1] + ("" if "SpaceAfter=No" in cols[9] else " ")
                    skip_until = b
                    continue
                if not cols[0].isdigit() or int(cols[0]) != expect:
                    errors.append("%s %s: bad id %s (expected %d)" % (path, sid, cols[0], expect))
                expect += 1
                words += 1
                if cols[3] not in UPOS:
                    errors.append("%s %s: bad UPOS %s" % (path, sid, cols[3]))
                if not cols[1] or not cols[2] or not cols[4] or cols[4] == "_":
                    errors.append("%s %s: empty FORM/LEMMA/XPOS in %s" % (path, sid, cols))
                if cols[6] != "_" or cols[7] != "_":
                    errors.append("%s %s: HEAD/DEPREL should be _" % (path, sid))
                if int(cols[0]) > skip_until:
                    surface += cols[1] + ("" if "SpaceAfter=No" in cols[9] else " ")
            if surface.strip() != com["text"]:
                errors.append("%s %s: text mismatch %r vs %r" % (path, sid, surface.strip(), com["text"]))
            n = expect - 1
            if n < MIN_LEN or n > MAX_LEN:
                errors.append("%s %s: length %d" % (path, sid, n))
            t = com["text"].lower()
            if t in texts:
                errors.append("%s %s: duplicate text (also in %s)" % (path, sid, texts[t]))
            texts[t] = split_name
        stats[split_name] = (sents, words)
    # ambiguous words in train
    amb = defaultdict(Counter)
    tagc = Counter()
    for split_name, (sents, _) in stats.items():
        for com, rows in sents:
            for cols in rows:
                if cols[0].isdigit():
                    tagc[cols[3]] += 1
                    if split_name == "train" and cols[1].lower() in AMBIGUOUS:
                        amb[cols[1].lower()][cols[3]] += 1
    for w in AMBIGUOUS:
        if len(amb[w]) < 2:
            errors.append("ambiguous word %r has tags %s in train" % (w, dict(amb[w])))
    missing = [t for t in UPOS if tagc[t] == 0]
    if missing:
        errors.append("UPOS tags never used: %s" % missing)
    return errors, stats, amb, tagc


README_HEAD = """# rnnlab default POS corpus

A small English part-of-speech corpus in CoNLL-U format with Universal POS
(UPOS) tags. It is the default data of rnnlab's main job, the part-of-speech
tagger, so that the tagger trains and is evaluated out of a fresh clone.

## Origin and license

Every sentence was written for rnnlab: either by hand (the hand-written
sentences in `generate.py`) or generated by `generate.py` from a grammar, a
lexicon and sentence patterns that were also written for rnnlab. No existing
corpus or treebank was copied or used as a source. The data is covered by
the project's license, MIT.

## How it was made

`python3 generate.py` (standard library only, fixed seed {seed}) rebuilds
the three files and this README byte for byte:

* {n_hand} hand-written sentences, tagged by hand;
* {n_pat} sentences from hand-written patterns with random slot fillers
  (many of them aimed at words whose tag depends on context);
* {n_tmpl} sentences from a small generative grammar: statements in eight
  tenses, negation, questions (yes/no and wh-), imperatives, complement
  clauses, adverbial clauses, coordination, relative clauses, infinitives,
  passives, comparatives, lists, direct speech and interjections, with
  subject-verb agreement and per-verb choice of plausible objects, places
  and adverbs.

Sentences are de-duplicated, shuffled and split about 80/10/10; no sentence
text occurs in two splits (a few sentences are swapped between splits so
that train holds every tag of every ambiguous word). Dev and test share the
lexicon and the patterns of train, so scores on them are optimistic; they are
meant for checking that training works, not as a benchmark. `python3 generate.py --check` validates the files:
10 columns per line, valid UPOS, consecutive IDs, multiword ranges whose form
is the concatenation of their words, `# text` equal to the tokens joined with
`SpaceAfter=No`, 3-30 words per sentence, no duplicates across splits, and at
least two different tags in train for each ambiguous word listed below.

## Format and conventions

* Columns: ID FORM LEMMA UPOS XPOS FEATS HEAD DEPREL DEPS MISC.
  LEMMA is the lower-case lemma (proper nouns keep their case), XPOS is a
  Penn Treebank tag, FEATS/DEPS are `_`. **HEAD and DEPREL are not annotated
  and are `_` on every line.** MISC holds `SpaceAfter=No` where needed.
* Each sentence has `# sent_id` and `# text` comments and ends with a blank
  line.
* UD English conventions: `to` before a verb is PART, otherwise ADP;
  copulas and auxiliaries (be, have, do, will, can, ...) are AUX, lexical
  `have`/`do` are VERB; `not`/`n't` and possessive `'s` are PART; possessive
  pronouns (my, her, ...) are PRON; existential `there` is PRON; particles of
  phrasal verbs (pick *up*, turn *off*) are ADP with XPOS RP; ordinals are
  ADJ; days and months are PROPN; `when` is ADV; foreign words, e-mail and web
  addresses are X.
* Contractions are multiword tokens, e.g. `3-4 don't` followed by `3 do` and
  `4 n't`; likewise `can't` (ca + n't), `won't` (wo + n't), `cannot`,
  `I'm`, `she's`, `they've`, `we'll`, `let's` and possessives such as
  `Anna's` (Anna + 's). There are no empty nodes.

## Statistics

Words are syntactic words (the parts of a multiword token count separately).

| split | file | sentences | words | multiword tokens |
|---|---|---:|---:|---:|
"""


def write_readme(stats, amb, tagc, counts):
    out = README_HEAD.format(seed=SEED, **counts)
    tot_s = tot_w = tot_m = 0
    for name, _ in SPLITS:
        sents, words = stats[name]
        mwt = sum(1 for com, rows in sents for c in rows if "-" in c[0])
        out += "| %s | %s.conllu | %d | %d | %d |\n" % (name, name, len(sents), words, mwt)
        tot_s += len(sents)
        tot_w += words
        tot_m += mwt
    out += "| total | | %d | %d | %d |\n" % (tot_s, tot_w, tot_m)
    out += "\nUPOS distribution over all splits:\n\n| tag | count | share |\n|---|---:|---:|\n"
    total = sum(tagc.values())
    for t, c in sorted(tagc.items(), key=lambda x: -x[1]):
        out += "| %s | %d | %.1f%% |\n" % (t, c, 100.0 * c / total)
    out += ("\n## Ambiguous words\n\nWords that occur with more than one tag; the "
            "counts are for the exact form (case-insensitive) in train.\n\n| word | tags in train |\n|---|---|\n")
    for w in AMBIGUOUS:
        out += "| %s | %s |\n" % (w, ", ".join("%s %d" % (t, c) for t, c in amb[w].most_common()))
    with open(os.path.join(HERE, "README.md"), "w", encoding="utf-8") as fh:
        fh.write(out)


def main():
    paths = [(name, os.path.join(HERE, name + ".conllu")) for name, _ in SPLITS]
    if "--check" not in sys.argv:
        sents = generate()
        parts = split(sents)
        for name, path in paths:
            with open(path, "w", encoding="utf-8") as fh:
                for i, (units, space, text, origin) in enumerate(parts[name], 1):
                    fh.write(to_conllu(units, space, text, "rnnlab-pos-%s-%04d" % (name, i)))
        counts = Counter(o for _, _, _, o in sents)
        counts = {"n_hand": counts["hand"], "n_pat": counts["pattern"], "n_tmpl": counts["template"]}
    errors, stats, amb, tagc = check(paths)
    for e in errors[:50]:
        print("ERROR:", e)
    for name, _ in SPLITS:
        sents, words = stats[name]
        print("%-5s %5d sentences %6d words" % (name, len(sents), words))
    print("tags:", " ".join("%s=%d" % kv for kv in sorted(tagc.items(), key=lambda x: -x[1])))
    if "--check" not in sys.argv and not errors:
        write_readme(stats, amb, tagc, counts)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
