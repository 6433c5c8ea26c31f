/* select.c -- see select.h. */
#include "select.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "suggest.h"

/* Refuses v with the metrics this run records and the closest of them
 * (by the whole name, or by the name after the split: "acuracy"). */
static int unknown_metric(const session *s, const char *v, rnnlab_err *err) {
    char names[8][80], list[512] = "", hint[128] = "", where[512];
    const char *full[8], *bare[8];
    size_t n = 0;
    for (const char *m; n + 1 < 8 && (m = metric_name_at(s, n)); n++)
        snprintf(names[n], sizeof names[n], "dev/%s", m);
    snprintf(names[n++], sizeof names[0], "train/epoch_loss");
    for (size_t i = 0; i < n; i++) {
        size_t len = strlen(list);
        snprintf(list + len, sizeof list - len, "%s%.64s", i ? ", " : "", names[i]);
        full[i] = names[i];
        bare[i] = strchr(names[i], '/') + 1;
    }
    const char *near = suggest_closest(v, full, n), *b = near ? NULL : suggest_closest(v, bare, n);
    for (size_t i = 0; b && i < n; i++)
        if (bare[i] == b) near = full[i];
    if (near) snprintf(hint, sizeof hint, "; did you mean '%.64s'?", near);
    const config_entry *e = config_find(s->cfg, "train", "select");
    return err_set(err, RNNLAB_ERR_INVALID,
                   "%s: [train] select = '%s': not a metric this run records every epoch (%s)%s",
                   e ? config_where(e, where, sizeof where) : s->config_path, v, list, hint);
}

int select_resolve(const session *s, select_rule *r, rnnlab_err *err) {
    memset(r, 0, sizeof *r);
    const char *v = s->train.select;
    const char *slash = strchr(v, '/');
    if (!slash || strlen(v) >= sizeof r->name) return unknown_metric(s, v, err);
    snprintf(r->name, sizeof r->name, "%s", v);
    r->metric = r->name + (slash - v) + 1;
    r->train = strncmp(v, "train/", 6) == 0;
    int known = r->train
                    ? strcmp(r->metric, "epoch_loss") == 0
                    : strncmp(v, "dev/", 4) == 0 && metric_value(s, r->metric, NULL, NULL) == 0;
    if (!known) return unknown_metric(s, v, err);
    int higher = r->train ? 0 : metric_higher_is_better(r->metric);
    r->maximize = s->train.select_goal == SELECT_GOAL_AUTO
                      ? higher == 1
                      : s->train.select_goal == SELECT_GOAL_MAX;
    return RNNLAB_OK;
}

double select_start(const select_rule *r) { return r->maximize ? -INFINITY : INFINITY; }

double select_value(const select_rule *r, const session *s, const eval_result *dev,
                    double epoch_loss) {
    double v = NAN;
    if (r->train) return epoch_loss;
    if (dev->count > 0) metric_value(s, r->metric, dev, &v);
    return v;
}

void select_key(const select_rule *r, char *buf, size_t size) {
    snprintf(buf, size, "%s %s", r->name, r->maximize ? "max" : "min");
}

int select_improves(const select_rule *r, double value, double best) {
    return r->maximize ? value > best : value < best;
}
