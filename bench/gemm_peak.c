/* gemm_peak.c -- GFLOP/s of gemm_f32 (the configured backend) on the shapes
 * that bound rnnlab: one large square product and the per-step products of
 * a batched RNN, (B, H) x (H, H)^T.
 *
 *   gemm_peak THREADS [SECONDS [MODE]]
 *
 * MODE is machine (default) or portable ([train] reproducible). Besides NN
 * and NT, TN is the weight-gradient layout (dz^T x h over T*B rows).
 *
 * Each shape runs for about SECONDS (default 0.5) after a warm-up; the
 * result is 2*m*n*k*calls / time. The matrices are reused, so the small
 * shapes are measured from cache, as the RNN's recurrent step uses them. */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "core/gemm.h"

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* C (m, n) = op(A) op(B); trans_b: B stored (n, k), the layout of x W^T;
 * trans_a: A stored (k, m). */
static double gflops(size_t m, size_t n, size_t k, int trans_a, int trans_b, double seconds) {
    float *a = malloc(m * k * sizeof *a), *b = malloc(n * k * sizeof *b);
    float *c = malloc(m * n * sizeof *c);
    if (!a || !b || !c) {
        fprintf(stderr, "gemm_peak: out of memory for %zux%zux%zu\n", m, n, k);
        exit(1);
    }
    for (size_t i = 0; i < m * k; i++) a[i] = (float)(i % 7) * 0.01f;
    for (size_t i = 0; i < n * k; i++) b[i] = (float)(i % 5) * 0.01f;
    const size_t ldb = trans_b ? k : n, lda = trans_a ? m : k;
    for (int w = 0; w < 3; w++)
        gemm_f32(trans_a, trans_b, m, n, k, 1.0f, a, lda, b, ldb, 0.0f, c, n);
    long calls = 0;
    double t0 = now(), dt;
    do {
        gemm_f32(trans_a, trans_b, m, n, k, 1.0f, a, lda, b, ldb, 0.0f, c, n);
        calls++;
        dt = now() - t0;
    } while (dt < seconds);
    free(a);
    free(b);
    free(c);
    return 2.0 * (double)m * (double)n * (double)k * (double)calls / dt * 1e-9;
}

int main(int argc, char **argv) {
    if (argc < 2 || argc > 4) {
        fprintf(stderr, "usage: gemm_peak THREADS [SECONDS [machine|portable]]\n");
        return 2;
    }
    const size_t threads = strtoul(argv[1], NULL, 10);
    const double seconds = argc >= 3 ? atof(argv[2]) : 0.5;
    gemm_set_mode(argc == 4 && argv[3][0] == 'p' ? GEMM_MODE_PORTABLE : GEMM_MODE_MACHINE);
    gemm_set_threads(threads);
    static const size_t shapes[][3] = {{1024, 1024, 1024}, {32, 128, 128},  {32, 512, 512},
                                       {1, 128, 128},      {1, 512, 512},   {2048, 65, 128},
                                       {128, 128, 2048},   {512, 512, 2048}};
    printf("backend: %s, isa %s, threads %zu\n", gemm_backend_name(), gemm_kernel_isa(),
           gemm_threads());
    for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++) {
        const size_t m = shapes[i][0], n = shapes[i][1], k = shapes[i][2];
        printf("%5zu x %5zu x %5zu  NN %7.1f  NT %7.1f  TN %7.1f GFLOP/s\n", m, n, k,
               gflops(m, n, k, 0, 0, seconds), gflops(m, n, k, 0, 1, seconds),
               gflops(m, n, k, 1, 0, seconds));
    }
    return 0;
}
