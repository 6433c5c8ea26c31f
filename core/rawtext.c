/* rawtext.c -- see rawtext.h.
 *
 * The UD English splitter works on one run of non-space text (a chunk) at a
 * time, left to right: a word (letters, digits and the joiners a word may
 * hold inside) or one punctuation token, then the next. A word is then cut
 * at its hyphens and clitics. The lists below are what EWT does; where the
 * treebank is inconsistent (hyphenated numbers, "its" for "it's") the rule
 * takes the common case. */
#include "rawtext.h"

#include <stdint.h>
#include <string.h>

/* ---- code points -------------------------------------------------------- */

/* The code point starting at s[i] (i < e), its length in *n. A byte that
 * does not start well-formed UTF-8 comes back as itself (>= 0x80, so a word
 * byte) with length 1. */
static uint32_t cp_at(const unsigned char *s, size_t i, size_t e, size_t *n) {
    uint32_t c = s[i];
    size_t len = c >= 0xF0 && c <= 0xF4 ? 4 : c >= 0xE0 ? 3 : c >= 0xC2 && c < 0xE0 ? 2 : 1;
    if (c < 0x80 || len == 1 || len > e - i) {
        *n = 1;
        return c;
    }
    uint32_t v = c & (0x7F >> len);
    for (size_t k = 1; k < len; k++) {
        if ((s[i + k] & 0xC0) != 0x80) {
            *n = 1;
            return c;
        }
        v = v << 6 | (s[i + k] & 0x3F);
    }
    static const uint32_t least[5] = {0, 0, 0x80, 0x800, 0x10000};
    if (v < least[len] || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF)) {
        *n = 1;
        return c;
    }
    *n = len;
    return v;
}

static int is_space(uint32_t c) {
    return c == ' ' || (c >= '\t' && c <= '\r') || c == 0 || c == 0xA0 ||
           (c >= 0x2000 && c <= 0x200A) || c == 0x202F || c == 0x205F || c == 0x3000;
}

/* ASCII punctuation, Latin-1 punctuation and symbols, the General
 * Punctuation block (dashes, curly quotes, ellipsis), currency signs and
 * CJK punctuation. Everything else that is not a space is a word
 * character, '_' included. */
static int is_punct(uint32_t c) {
    if (c < 0x80)
        return c > ' ' && c < 0x7F && c != '_' && !(c >= '0' && c <= '9') &&
               !((c | 0x20) >= 'a' && (c | 0x20) <= 'z');
    /* Latin-1 signs, but not the superscripts, ordinal indicators, micro
     * sign and fractions, which occur inside words */
    if (c >= 0xA1 && c <= 0xBF)
        return !(c == 0xAA || c == 0xB2 || c == 0xB3 || c == 0xB5 || c == 0xB9 ||
                 (c >= 0xBA && c != 0xBB && c != 0xBF));
    /* General Punctuation (dashes, curly quotes, ellipsis), currency, the
     * symbol blocks (arrows .. dingbats), CJK punctuation and emoji */
    return c == 0xD7 || c == 0xF7 || (c >= 0x2010 && c <= 0x205E) || (c >= 0x20A0 && c <= 0x20CF) ||
           (c >= 0x2190 && c <= 0x2BFF) || (c >= 0x3001 && c <= 0x303F) ||
           (c >= 0x1F000 && c <= 0x1FAFF);
}

static int is_digit(uint32_t c) { return c >= '0' && c <= '9'; }
static int is_ascii_letter(uint32_t c) { return (c | 0x20) >= 'a' && (c | 0x20) <= 'z'; }
/* A letter for the joiner rules: ASCII letters and any non-ASCII word
 * character (accented letters, other scripts). */
static int is_letter(uint32_t c) { return is_ascii_letter(c) || (c >= 0x80 && !is_punct(c)); }
static int is_apostrophe(uint32_t c) { return c == '\'' || c == 0x2019 || c == '`'; }
static int is_terminal(uint32_t c) { return c == '.' || c == 0x2026 || c == '!' || c == '?'; }

static int is_word(uint32_t c) { return !is_space(c) && !is_punct(c); }

/* ---- the text being split ----------------------------------------------- */

typedef struct splitter {
    const unsigned char *s;
    size_t end;        /* the text's length with trailing space removed */
    rawtext_span *out; /* (cap) */
    size_t cap, n;
} splitter;

static void emit(splitter *sp, size_t off, size_t len) {
    if (len == 0) return;
    if (sp->n < sp->cap) sp->out[sp->n] = (rawtext_span){off, len};
    sp->n++;
}

/* The code point at i, or 0 (a space) outside [lo, hi). */
static uint32_t cp_in(const splitter *sp, size_t i, size_t lo, size_t hi, size_t *n) {
    if (i < lo || i >= hi) {
        *n = 1;
        return 0;
    }
    return cp_at(sp->s, i, hi, n);
}

/* The code point that ends just before i (i > lo), its length in *n; 0
 * (a space) at the chunk's start. */
static uint32_t cp_before(const splitter *sp, size_t i, size_t lo, size_t *n) {
    *n = 1;
    if (i <= lo) return 0;
    size_t b = i - 1;
    while (b > lo && i - b < 4 && (sp->s[b] & 0xC0) == 0x80) b--;
    uint32_t c = cp_at(sp->s, b, i, n);
    if (b + *n == i) return c;
    *n = 1;
    return sp->s[i - 1];
}

/* Case-insensitive comparison of s[0..n) with the lowercase ASCII word w. */
static int same_word(const unsigned char *s, size_t n, const char *w) {
    if (strlen(w) != n) return 0;
    for (size_t i = 0; i < n; i++)
        if ((s[i] >= 'A' && s[i] <= 'Z' ? s[i] | 0x20 : s[i]) != (unsigned char)w[i]) return 0;
    return 1;
}

static int in_list(const unsigned char *s, size_t n, const char *const *list) {
    for (; *list; list++)
        if (same_word(s, n, *list)) return 1;
    return 0;
}

/* ---- words -------------------------------------------------------------- */

/* Abbreviations that keep their period; single letters ("J.") and letters
 * with periods inside ("U.S.", "e.g.", "a.m.") are recognised by shape. */
static const char *const abbreviations[] = {
    "mr",    "mrs",    "ms",   "dr",   "st",   "jr",   "sr",   "prof", "gen", "gov",  "lt",
    "col",   "sgt",    "capt", "rev",  "sen",  "rep",  "reps", "hon",  "inc", "corp", "co",
    "ltd",   "bros",   "vs",   "etc",  "jan",  "feb",  "mar",  "apr",  "jun", "jul",  "aug",
    "sep",   "sept",   "oct",  "nov",  "dec",  "mon",  "tue",  "tues", "wed", "thu",  "thur",
    "thurs", "fri",    "sat",  "sun",  "no",   "nos",  "vol",  "ft",   "mt",  "ave",  "blvd",
    "ext",   "approx", "dept", "fig",  "mins", "yrs",  "lb",   "lbs",  "oz",  "cf",   "al",
    "eg",    "ie",     "ph",   "attn", "univ", "assn", "asst", "esp",  "pp",  "govt", NULL};

/* Prefixes whose hyphen EWT keeps inside the word ("e-mail", "non-stop"). */
static const char *const prefixes[] = {
    "e",     "a",     "anti",  "arch",  "bi",     "bio",    "co",    "counter", "cross",
    "cyber", "de",    "eco",   "ex",    "extra",  "hyper",  "infra", "intra",   "macro",
    "mega",  "micro", "mid",   "mini",  "mis",    "mono",   "multi", "neo",     "non",
    "over",  "post",  "pre",   "pro",   "pseudo", "psycho", "quasi", "re",      "semi",
    "socio", "sub",   "super", "trans", "tri",    "ultra",  "un",    "uni",     NULL};

/* Units split from a number before them ("5pm", "7:30PM", "35mm");
 * ordinals and decades ("2nd", "1970s") and codes ("83N") stay whole. */
static const char *const units[] = {"am", "pm", "k",   "m",  "mm",  "cm",  "km", "kg",
                                    "mg", "lb", "lbs", "ft", "x",   "mb",  "gb", "kb",
                                    "ml", "hr", "hrs", "yr", "yrs", "mph", "oz", NULL};

/* Contractions written without an apostrophe, and where they split. */
typedef struct fused {
    const char *word;
    size_t cut;
} fused;
static const fused fused_words[] = {
    {"cannot", 3}, {"gonna", 3}, {"wanna", 3},   {"gotta", 3},   {"outta", 3},    {"gimme", 3},
    {"lemme", 3},  {"dont", 2},  {"doesnt", 4},  {"didnt", 3},   {"isnt", 2},     {"wasnt", 3},
    {"werent", 4}, {"arent", 3}, {"hasnt", 3},   {"havent", 4},  {"hadnt", 3},    {"cant", 2},
    {"wont", 2},   {"aint", 2},  {"couldnt", 5}, {"wouldnt", 5}, {"shouldnt", 6}, {"im", 1},
    {"ive", 1},    {"youre", 3}, {"theyre", 4},  {"thats", 4},   {NULL, 0}};

/* The length of the clitic that ends the word s[b..b+n) ('s 'm 'd 're 've
 * 'll n't, any case, any apostrophe): n for a clitic alone, 0 for none or
 * for a decade ("1990's"). */
static size_t clitic_len(const splitter *sp, size_t b, size_t n) {
    const unsigned char *s = sp->s;
    static const char *const after[] = {"s", "m", "d", "re", "ve", "ll", "t", NULL};
    for (size_t k = 0; after[k]; k++) {
        size_t m = strlen(after[k]), alen;
        if (n <= m || !same_word(s + b + n - m, m, after[k])) continue;
        if (!is_apostrophe(cp_before(sp, b + n - m, b, &alen))) continue;
        size_t stem = n - m - alen; /* n't: the n belongs to the clitic */
        if (after[k][0] == 't') {
            if (stem == 0 || (s[b + stem - 1] | 0x20) != 'n') return 0;
            return m + alen + 1;
        }
        if (stem == 0) return n;
        size_t pn;
        return is_digit(cp_before(sp, b + stem, b, &pn)) ? 0 : m + alen;
    }
    return 0;
}

/* The end of the number at s[b..e): digits, with . , : between digits. */
static size_t number_end(const unsigned char *s, size_t b, size_t e) {
    size_t d = b;
    while (d < e &&
           (is_digit(s[d]) || (d > b && d + 1 < e && (s[d] == '.' || s[d] == ',' || s[d] == ':') &&
                               is_digit(s[d - 1]) && is_digit(s[d + 1]))))
        d++;
    return d;
}

/* Emits the part s[b..e) of a word: clitics apart, a fused contraction in
 * two, a unit apart from its number. */
static void emit_part(splitter *sp, size_t b, size_t e) {
    for (const fused *f = fused_words; f->word; f++)
        if (same_word(sp->s + b, e - b, f->word)) {
            emit(sp, b, f->cut);
            emit(sp, b + f->cut, e - b - f->cut);
            return;
        }
    size_t c = clitic_len(sp, b, e - b);
    size_t d = is_digit(sp->s[b]) ? number_end(sp->s, b, e) : b;
    if (c && c < e - b) {
        emit(sp, b, e - b - c);
        emit(sp, e - c, c);
    } else if (d > b && d < e && in_list(sp->s + d, e - d, units)) {
        emit(sp, b, d - b);
        emit(sp, d, e - d);
    } else {
        emit(sp, b, e - b);
    }
}

/* Digit groups joined by '-' or '/' that stay one token: three groups or
 * more (phone numbers, dates: 713-853-3989, 11/28/2000), an extension
 * (3-5213, 345-9945) or a month/day (9/11, 3/03); a range or fraction
 * (1969-1970, 3/4, 24/7) is split. */
static int is_code(const unsigned char *s, size_t n) {
    size_t groups = 0, len[2] = {0, 0}, val[2] = {0, 0}, start = 0;
    unsigned char sep = 0;
    for (size_t i = 0; i <= n; i++) {
        if (i < n && is_digit(s[i])) {
            /* the value only matters up to 31 */
            if (groups < 2 && val[groups] < 1000) val[groups] = 10 * val[groups] + (s[i] - '0');
            continue;
        }
        if (i == start || (i < n && s[i] != '-' && s[i] != '/')) return 0;
        if (groups < 2) len[groups] = i - start;
        if (i < n) sep = s[i];
        groups++;
        start = i + 1;
    }
    if (groups >= 3) return 1;
    if (groups != 2) return 0;
    if (sep == '-') return len[1] == 4 && len[0] <= 3;
    return val[0] >= 1 && val[0] <= 12 && val[1] >= 1 && val[1] <= 31 &&
           (val[1] >= 10 || len[1] == 2);
}

/* Emits the word s[b..e): cut at each hyphen and slash between digits,
 * unless the part before a hyphen is a prefix or the word is a code. */
static void emit_word(splitter *sp, size_t b, size_t e) {
    const unsigned char *s = sp->s;
    if (is_code(s + b, e - b)) {
        emit(sp, b, e - b);
        return;
    }
    size_t start = b, part = b;
    for (size_t i = b; i < e; i++) {
        if (s[i] != '-' && s[i] != '/') continue;
        if (s[i] == '-' && in_list(s + part, i - part, prefixes)) {
            part = i + 1;
            continue;
        }
        emit_part(sp, start, i);
        emit(sp, i, 1);
        start = part = i + 1;
    }
    emit_part(sp, start, e);
}

/* Does the character c at i, inside a chunk [lo, hi), join the word
 * characters on its two sides into one word? */
static int joins(const splitter *sp, uint32_t c, size_t i, size_t clen, size_t lo, size_t hi) {
    size_t nn;
    uint32_t prev = cp_before(sp, i, lo, &nn);
    uint32_t next = cp_in(sp, i + clen, lo, hi, &nn);
    if (!is_word(prev) || !is_word(next)) return 0;
    switch (c) {
    case '.': return 1; /* U.S, 3.5, e.g, file.doc */
    case ',':
    case ':':
    case '/': return is_digit(prev) && is_digit(next); /* 3,000 10:30 9/11 (cut later) */
    case '\'':
    case 0x2019:
    case '`': return is_letter(next); /* O'Connell, don't, 1990's */
    case '-':
    case '&':
    case '@': return 1; /* well-known (cut later), AT&T, Rice@ENRON */
    default: return 0;
    }
}

/* Is s[b..e) an abbreviation that keeps a period after it? */
static int is_abbreviation(const splitter *sp, size_t b, size_t e) {
    const unsigned char *s = sp->s;
    if (in_list(s + b, e - b, abbreviations)) return 1;
    /* Letters with single periods between them: J, U.S, e.g, a.k.a, Ph.D */
    size_t run = 0;
    for (size_t i = b; i < e; i++) {
        if (is_ascii_letter(s[i])) {
            if (++run > 2) return 0;
        } else if (s[i] == '.' && run > 0) {
            run = 0;
        } else {
            return 0;
        }
    }
    return run > 0 && (e - b == 1 || memchr(s + b, '.', e - b) != NULL);
}

/* ---- punctuation -------------------------------------------------------- */

static const char *const emoticons[] = {":-)", ":-(", ";-)", ":-D", ":-P", ":-p",
                                        "^_^", ":)",  ":(",  ";)",  ":D",  ":P",
                                        ":p",  "=)",  "(:",  ":/",  "<3",  NULL};

/* Symbols that form one token when repeated or mixed: "----==", "|---+-->" */
static int is_rule_symbol(uint32_t c) {
    return c == '-' || c == '=' || c == '*' || c == '~' || c == '+' || c == '#' || c == '|';
}

/* The length of the punctuation token at i in the chunk [lo, hi). */
static size_t punct_len(const splitter *sp, size_t i, size_t lo, size_t hi) {
    const unsigned char *s = sp->s;
    size_t n, m;
    uint32_t c = cp_at(s, i, hi, &n);
    /* A clitic or a year written alone: 's n't 'm '72 '60s */
    if (is_apostrophe(c)) {
        size_t e = i + n;
        while (e < hi && is_word(cp_at(s, e, hi, &m))) e += m;
        if (e > i + n && (e == hi || !is_word(cp_in(sp, e, lo, hi, &m)))) {
            if (clitic_len(sp, i, e - i) == e - i) return e - i;
            size_t d = i + n;
            while (d < e && is_digit(s[d])) d++;
            if (d == i + n + 2 && (d == e || (d + 1 == e && s[d] == 's'))) return e - i;
        }
    }
    for (const char *const *em = emoticons; *em; em++) {
        size_t k = strlen(*em);
        if (k > hi - i || memcmp(s + i, *em, k) != 0) continue;
        if ((*em)[0] == '(' && i != lo) continue;
        if (i + k == hi || !is_word(cp_at(s, i + k, hi, &m))) return k;
    }
    size_t e = i + n;
    /* A run of dots, or of terminal punctuation: "...", "?!", "!!!." */
    if (is_terminal(c)) {
        while (e < hi && is_terminal(cp_at(s, e, hi, &m))) e += m;
        return e - i;
    }
    if (is_rule_symbol(c)) {
        while (e < hi && is_rule_symbol(s[e])) e++;
        return e - i;
    }
    /* A run of one repeated symbol ("''", "((") or a curly quote pair */
    while (e + n <= hi && memcmp(s + e, s + i, n) == 0) e += n;
    if (e == i + n && (c == 0x2018 || c == 0x2019) && e < hi) {
        uint32_t d = cp_at(s, e, hi, &m);
        if (d == 0x2018 || d == 0x2019) e += m;
    }
    return e - i;
}

/* ---- URLs, e-mail addresses, hashtags ----------------------------------- */

static int in_url(uint32_t c) {
    return !is_space(c) && c != '"' && c != '<' && c != '>' && !(c >= 0x2018 && c <= 0x201F);
}
static int in_address(unsigned char c) {
    return is_digit(c) || is_ascii_letter(c) || c == '.' || c == '_' || c == '%' || c == '+' ||
           c == '-';
}

/* The length of the URL, e-mail address or hashtag that starts at i, a
 * token boundary in the chunk [lo, hi), or 0. */
static size_t link_len(const splitter *sp, size_t i, size_t lo, size_t hi) {
    const unsigned char *s = sp->s;
    size_t n, e = i;
    if (is_word(cp_before(sp, i, lo, &n))) return 0;
    if (s[i] == '#') { /* #hashtag, but #1 is a sign and a number */
        if (i + 1 >= hi || !is_ascii_letter(s[i + 1])) return 0;
        for (e = i + 1; e < hi && is_word(cp_at(s, e, hi, &n));) e += n;
        return e - i;
    }
    while (e < hi && is_ascii_letter(s[e])) e++;
    int scheme = (e - i >= 2 && e + 3 <= hi && memcmp(s + e, "://", 3) == 0) ||
                 (hi - i > 4 && same_word(s + i, 4, "www.")) ||
                 (hi - i > 7 && same_word(s + i, 7, "mailto:"));
    if (scheme) {
        e = i;
        while (e < hi && in_url(cp_at(s, e, hi, &n))) e += n;
        /* Closing punctuation after the URL is the sentence's. */
        while (e > i && s[e - 1] && strchr(".,;:!?)]}'", s[e - 1])) e--;
        return e - i;
    }
    /* local@domain.tld (the local part may be elided: "@example.com") */
    for (e = i; e < hi && in_address(s[e]);) e++;
    if (e >= hi || s[e] != '@') return 0;
    size_t at = e++;
    while (e < hi && in_address(s[e])) e++;
    while (e > at + 1 && (s[e - 1] == '.' || s[e - 1] == '-')) e--;
    if (!memchr(s + at, '.', e - at) || !is_ascii_letter(s[e - 1])) return 0;
    return e - i;
}

/* ---- chunks ------------------------------------------------------------- */

/* Does a word start at i: a word character, or a sign or point that begins
 * a number (+44, .04), or a file extension (.doc) at a token boundary? */
static int word_starts(const splitter *sp, uint32_t c, size_t i, size_t lo, size_t hi) {
    if (is_word(c)) return 1;
    size_t n;
    if ((c != '+' && c != '.') || i + 1 >= hi || is_word(cp_before(sp, i, lo, &n))) return 0;
    if (is_digit(sp->s[i + 1])) return 1;
    size_t e = i + 1; /* an extension is short: .doc .pdf .com */
    while (e < hi && is_ascii_letter(sp->s[e])) e++;
    return c == '.' && e > i + 1 && e - i <= 5 && (e == hi || !is_word(cp_at(sp->s, e, hi, &n)));
}

/* "b/c", "w/", "w/o", "I/C": a letter, a slash and at most one more letter. */
static size_t slash_word_len(const splitter *sp, size_t i, size_t lo, size_t hi) {
    const unsigned char *s = sp->s;
    size_t n;
    if (i + 1 >= hi || !is_ascii_letter(s[i]) || s[i + 1] != '/' ||
        is_word(cp_before(sp, i, lo, &n)))
        return 0;
    size_t e = i + 2;
    if (e < hi && is_ascii_letter(s[e])) e++;
    return e == hi || (!is_word(cp_at(s, e, hi, &n)) && s[e] != '/') ? e - i : 0;
}

static void split_chunk(splitter *sp, size_t lo, size_t hi) {
    const unsigned char *s = sp->s;
    size_t i = lo, n;
    while (i < hi) {
        size_t k = link_len(sp, i, lo, hi);
        if (!k) k = slash_word_len(sp, i, lo, hi);
        if (k) {
            emit(sp, i, k);
            i += k;
            continue;
        }
        uint32_t c = cp_at(s, i, hi, &n);
        if (!word_starts(sp, c, i, lo, hi)) {
            k = punct_len(sp, i, lo, hi);
            emit(sp, i, k);
            i += k;
            continue;
        }
        size_t e = i + n;
        while (e < hi) {
            size_t m;
            uint32_t d = cp_at(s, e, hi, &m);
            if (!is_word(d) && !joins(sp, d, e, m, lo, hi)) break;
            e += m;
        }
        /* The period of an abbreviation, unless it ends the line or starts
         * an ellipsis ("U.S.." keeps one of its two). */
        if (e < hi && s[e] == '.' && e + 1 < sp->end &&
            !(e + 2 < hi && s[e + 1] == '.' && s[e + 2] == '.') && is_abbreviation(sp, i, e))
            e++;
        emit_word(sp, i, e);
        i = e;
    }
}

size_t rawtext_split(rawtext_mode mode, const char *text, size_t len, rawtext_span *out,
                     size_t cap) {
    splitter sp = {(const unsigned char *)text, len, out, cap, 0};
    size_t n;
    /* Trailing space does not count when asking whether a period ends the line. */
    while (sp.end > 0 && is_space(cp_before(&sp, sp.end, 0, &n))) sp.end -= n;
    size_t i = 0;
    while (i < len) {
        if (is_space(cp_at(sp.s, i, len, &n))) {
            i += n;
            continue;
        }
        size_t e = i;
        while (e < len && !is_space(cp_at(sp.s, e, len, &n))) e += n;
        if (mode == RAWTEXT_WHITESPACE)
            emit(&sp, i, e - i);
        else
            split_chunk(&sp, i, e);
        i = e;
    }
    return sp.n;
}

int rawtext_mode_parse(const char *name, rawtext_mode *mode) {
    if (strcmp(name, "ud_english") == 0)
        *mode = RAWTEXT_UD_ENGLISH;
    else if (strcmp(name, "whitespace") == 0)
        *mode = RAWTEXT_WHITESPACE;
    else
        return -1;
    return 0;
}
