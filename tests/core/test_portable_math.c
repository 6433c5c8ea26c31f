/* test_portable_math.c -- rnnlab/portable_math.h: exp, log, cos and powi
 * within 2 ulp of the long-double (x87, not CPU-dispatched) reference over
 * their working ranges, and the special values libm gives. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdint.h>

#include "rnnlab/portable_math.h"

/* The long-double references need x87's 64-bit mantissa; valgrind runs
 * long double as double, which is no reference for 2 ulp. */
static void need_long_double(void) {
    volatile long double one = 1.0L, tiny = 0x1p-60L;
    if (one + tiny == one) cr_skip_test("long double has no more precision than double here");
}

/* |got - want| in units of the last place of want (as a double). */
static double ulps(double got, long double want) {
    if (want == 0.0L) return got == 0.0 ? 0.0 : INFINITY;
    int e;
    frexpl(want, &e);
    return (double)(fabsl((long double)got - want) / ldexpl(1.0L, e - 53));
}

/* n points spread over [lo, hi], deterministic, endpoints included. */
static double at(double lo, double hi, int i, int n) {
    return lo + (hi - lo) * ((double)i / (double)(n - 1));
}

Test(portable_math, exp_within_2_ulp) {
    need_long_double();
    double worst = 0.0;
    for (int i = 0; i < 200001; i++) {
        double x = at(-700.0, 700.0, i, 200001);
        double u = ulps(rnnlab_exp(x), expl((long double)x));
        worst = u > worst ? u : worst;
        cr_assert(u <= 2.0, "exp(%.17g) = %.17g, %.2f ulp off", x, rnnlab_exp(x), u);
    }
    for (int i = 0; i < 20001; i++) {
        double x = at(-1.0, 1.0, i, 20001);
        cr_assert(ulps(rnnlab_exp(x), expl((long double)x)) <= 2.0, "exp(%.17g)", x);
    }
    cr_log_info("exp: worst %.2f ulp", worst);
}

Test(portable_math, log_within_2_ulp) {
    need_long_double();
    for (int i = 0; i < 200001; i++) {
        double x = ldexp(at(0.5, 1.0, i % 1001, 1001), i % 2001 - 1000);
        double u = ulps(rnnlab_log(x), logl((long double)x));
        cr_assert(u <= 2.0, "log(%.17g) = %.17g, %.2f ulp off", x, rnnlab_log(x), u);
    }
    for (int i = 1; i < 20001; i++) {
        double x = at(0.9, 1.1, i, 20001);
        cr_assert(ulps(rnnlab_log(x), logl((long double)x)) <= 2.0 ||
                      fabs(rnnlab_log(x) - (double)logl((long double)x)) < 1e-300,
                  "log(%.17g)", x);
    }
}

/* Box-Muller's range [0, 2 pi) densely, and farther out. */
Test(portable_math, cos_within_2_ulp_of_one) {
    need_long_double();
    for (int i = 0; i < 200001; i++) {
        double x = at(-1e5, 1e5, i, 200001) + (i % 7) * 0.1;
        long double want = cosl((long double)x);
        double err = fabs(rnnlab_cos(x) - (double)want);
        /* Near a zero of cos the relative error is meaningless: bound the
         * absolute error by 2 ulp of 1 there. */
        cr_assert(err <= 2.0 * 0x1p-53 * (fabsl(want) > 0.5L ? 2.0 : 1.0) ||
                      ulps(rnnlab_cos(x), want) <= 2.0,
                  "cos(%.17g) = %.17g, want %.17Lg", x, rnnlab_cos(x), want);
    }
}

Test(portable_math, special_values) {
    cr_assert(rnnlab_exp(0.0) == 1.0);
    cr_assert(rnnlab_exp(1000.0) == INFINITY);
    cr_assert(rnnlab_exp(-1000.0) == 0.0);
    cr_assert(isnan(rnnlab_exp(NAN)));
    cr_assert(rnnlab_log(1.0) == 0.0);
    cr_assert(rnnlab_log(0.0) == -INFINITY);
    cr_assert(rnnlab_log(INFINITY) == INFINITY);
    cr_assert(isnan(rnnlab_log(-1.0)) && isnan(rnnlab_log(NAN)));
    cr_assert(rnnlab_cos(0.0) == 1.0);
    cr_assert(isnan(rnnlab_cos(INFINITY)) && isnan(rnnlab_cos(NAN)));
    cr_assert(rnnlab_powi(0.9, 0) == 1.0);
    cr_assert(rnnlab_powi(2.0, 10) == 1024.0);
    cr_assert(rnnlab_powi(0.5, 1074) == 0x1p-1074);
}

/* Adam's bias correction: beta^t for t up to a million steps within 2 ulp
 * of the long-double power (or 0 where that underflows a double). */
Test(portable_math, powi_close_to_pow) {
    need_long_double();
    const double base[] = {0.9, 0.999, 0.5, 1.0000001};
    for (size_t b = 0; b < 4; b++)
        for (uint64_t t = 1; t <= 1000000; t = t * 3 + 1) {
            long double want = powl((long double)base[b], (long double)t);
            double got = rnnlab_powi(base[b], t);
            if (want < 1e-300L)
                cr_assert(got < 1e-300, "%.17g^%llu = %.17g", base[b], (unsigned long long)t, got);
            else
                cr_assert(ulps(got, want) <= 2.0, "%.17g^%llu = %.17g, %.2f ulp off", base[b],
                          (unsigned long long)t, got, ulps(got, want));
        }
}
