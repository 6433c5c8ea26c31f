/* rawtext.h -- a line of raw text into the words a tagger tags.
 *
 * A tagger checkpoint's tokenizer maps one word to one id; which words a
 * line of raw text holds is a separate question, answered here before the
 * tokenizer sees anything. The answer depends only on the text and a
 * convention, never on a checkpoint, so any word-level tagger can tag raw
 * text, and the same text always splits the same way.
 *
 * Why in the core and not a plugin: a splitter has no state to fit, save or
 * configure per run, and it is chosen when tagging (`tag --split`), never
 * by a checkpoint; the tokenizer kind's ops map text to ids and have no
 * place for spans. Another convention is another mode here; if third
 * parties need their own, rawtext_split's signature is the op a "splitter"
 * plugin kind would have.
 *
 * RAWTEXT_UD_ENGLISH follows Universal Dependencies English (EWT):
 *  - clitics apart: "I'm" -> I 'm, "don't" -> do n't, "can't" -> ca n't,
 *    "cannot" -> can not, "gonna" -> gon na, "dont" -> do nt, "im" -> i m;
 *  - abbreviations keep their period ("U.S.", "Mr.", "e.g.", "J."), except
 *    at the end of the line, where the period is the sentence's;
 *  - a run of dots or of ! ? (". . .", "...", "!!", "?!") is one token, as
 *    is a run of one repeated symbol ("--", "''", "**") and an emoticon;
 *  - straight, curly (U+2018/2019/201C/201D) and grave quotes are split off;
 *  - hyphens split compounds ("well-known" -> well - known) but not a
 *    prefix ("e-mail", "non-stop", "re-read") or a phone number;
 *  - URLs and e-mail addresses stay whole, as do numbers with , . : /
 *    inside ("3,000", "10:30", "9/11"), ordinals and decades ("2nd",
 *    "1970s"); a unit after a number is split ("5pm" -> 5 pm).
 * Text already tokenised this way (words separated by spaces) comes back
 * unchanged, so pre-tokenised input needs no other mode for EWT-style text.
 *
 * RAWTEXT_WHITESPACE splits on white space only: one word per run of
 * non-space bytes, for input tokenised by another convention.
 *
 * Both work on bytes: white space is ASCII white space, NUL and the Unicode
 * spaces (U+00A0, U+2000..U+200A, U+202F, U+205F, U+3000); bytes that are
 * not well-formed UTF-8 are word bytes. Neither can fail. */
#ifndef RNNLAB_CORE_RAWTEXT_H
#define RNNLAB_CORE_RAWTEXT_H

#include <stddef.h>

typedef enum rawtext_mode { RAWTEXT_UD_ENGLISH = 0, RAWTEXT_WHITESPACE = 1 } rawtext_mode;

/* One word: text[off .. off + len). */
typedef struct rawtext_span {
    size_t off, len;
} rawtext_span;

/* Splits text[0 .. len) into words by mode and writes the first cap of them
 * to out (which may be NULL when cap is 0). Returns the number of words in
 * all, so a caller whose array was too small can grow it and call again. */
size_t rawtext_split(rawtext_mode mode, const char *text, size_t len, rawtext_span *out,
                     size_t cap);

/* The mode called name ("ud_english" or "whitespace"); -1 if there is none. */
int rawtext_mode_parse(const char *name, rawtext_mode *mode);

#endif
