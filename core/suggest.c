/* suggest.c -- see suggest.h. */
#include "suggest.h"

#include <stdlib.h>
#include <string.h>

static size_t min3(size_t a, size_t b, size_t c) {
    size_t m = a < b ? a : b;
    return m < c ? m : c;
}

size_t suggest_distance(const char *a, const char *b) {
    size_t n = strlen(a), m = strlen(b);
    size_t *d = malloc((n + 1) * (m + 1) * sizeof *d);
    if (!d) return (size_t)-1;
#define D(i, j) d[(i) * (m + 1) + (j)]
    for (size_t i = 0; i <= n; i++) D(i, 0) = i;
    for (size_t j = 0; j <= m; j++) D(0, j) = j;
    for (size_t i = 1; i <= n; i++) {
        for (size_t j = 1; j <= m; j++) {
            size_t cost = a[i - 1] != b[j - 1];
            D(i, j) = min3(D(i - 1, j) + 1, D(i, j - 1) + 1, D(i - 1, j - 1) + cost);
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
                D(i - 2, j - 2) + 1 < D(i, j))
                D(i, j) = D(i - 2, j - 2) + 1;
        }
    }
    size_t out = D(n, m);
#undef D
    free(d);
    return out;
}

const char *suggest_closest(const char *word, const char *const *names, size_t n) {
    const char *best = NULL;
    size_t best_d = (size_t)-1;
    for (size_t i = 0; i < n; i++) {
        if (!names[i]) continue;
        size_t d = suggest_distance(word, names[i]);
        if (d < best_d) best_d = d, best = names[i];
    }
    size_t len = strlen(word);
    size_t limit = len / 3 > 2 ? len / 3 : 2;
    return best && best_d <= limit && best_d < len ? best : NULL;
}
