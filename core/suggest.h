/* suggest.h -- did-you-mean: the closest of a list of names to a word that
 * was not found, when it is close enough to be a typo. Used for commands,
 * options, components, config keys and metric names, so every "unknown X"
 * message suggests the same way. */
#ifndef RNNLAB_CORE_SUGGEST_H
#define RNNLAB_CORE_SUGGEST_H

#include <stddef.h>

/* Edit distance with adjacent transpositions counted as one edit (optimal
 * string alignment), so "tahn" is one step from "tanh" and "trian" one
 * from "train". (size_t)-1 when out of memory. */
size_t suggest_distance(const char *a, const char *b);

/* The closest of names[0..n) to word, or NULL when none is within
 * max(2, strlen(word) / 3) edits (and fewer edits than word has
 * characters). NULL entries in names are skipped. */
const char *suggest_closest(const char *word, const char *const *names, size_t n);

#endif
