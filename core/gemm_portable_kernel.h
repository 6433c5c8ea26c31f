/* gemm_portable_kernel.h -- the SIMD paths of the portable GEMM, written
 * once for AVX2 and AVX-512. Included only by gemm_portable.c, once per
 * ISA, with these set (see there):
 *   PK(name)      the name with the ISA's suffix
 *   PK_TARGET     the function attribute enabling the ISA
 *   PK_W          floats per vector; PK_MR, PK_NV: the tile, rows x vectors
 *   PK_VEC, PK_MASK and PK_ZERO, PK_LOAD, PK_LOADM, PK_STORE, PK_STOREM,
 *   PK_BCAST, PK_FMA, PK_MUL, PK_ADD, PK_MASKOF(lanes)
 * and undefined again at its end.
 *
 * One tile is (mr rows) x (nv vectors) of C held in registers, built by
 * broadcasting A(i,p) and multiplying a row of B: C(i, j..j+W) gets one FMA
 * per p, p in order, exactly the scalar rule of gemm_portable.h lane by
 * lane. mr and nv are compile-time constants in every call (the switch in
 * PK(tile_any)), so the accumulators live in registers. */
#ifndef PK
#error "gemm_portable_kernel.h is a template: include it from gemm_portable.c"
#endif

/* acc (mr, nv*W) = sum_p U(r,p) V(p, :), then C = alpha acc (+ beta C).
 *   U(r,p) = u[r*rsu + p*csu]       (A, or A^T, as stored)
 *   V(p,:) = v + p*ldv, contiguous  (B, or the packed B^T)
 * The last vector is masked to `last` valid lanes when `masked`. */
PK_TARGET static inline __attribute__((always_inline)) void
PK(tile)(const int mr, const int nv, const int masked, size_t k, const float *u, size_t rsu,
         size_t csu, const float *v, size_t ldv, PK_MASK last, float alpha, float beta, float *c,
         size_t ldc) {
    /* Fully unrolled (mr, nv are constants), so that acc stays in registers. */
    PK_VEC acc[PK_MR][PK_NVMAX];
#pragma GCC unroll 8
    for (int r = 0; r < mr; r++)
#pragma GCC unroll 8
        for (int q = 0; q < nv; q++) acc[r][q] = PK_ZERO();
    for (size_t p = 0; p < k; p++) {
        const float *vp = v + p * ldv;
        const float *up = u + p * csu;
        PK_VEC x[PK_NVMAX];
#pragma GCC unroll 8
        for (int q = 0; q < nv; q++)
            x[q] = masked && q == nv - 1 ? PK_LOADM(vp + q * PK_W, last) : PK_LOAD(vp + q * PK_W);
#pragma GCC unroll 8
        for (int r = 0; r < mr; r++) {
            const PK_VEC s = PK_BCAST(up[r * rsu]);
#pragma GCC unroll 8
            for (int q = 0; q < nv; q++) acc[r][q] = PK_FMA(s, x[q], acc[r][q]);
        }
    }
    const PK_VEC va = PK_BCAST(alpha), vb = PK_BCAST(beta);
#pragma GCC unroll 8
    for (int r = 0; r < mr; r++) {
        float *cr = c + r * ldc;
#pragma GCC unroll 8
        for (int q = 0; q < nv; q++) {
            const int part = masked && q == nv - 1;
            PK_VEC y = PK_MUL(va, acc[r][q]);
            if (beta != 0.0f) {
                const PK_VEC old = part ? PK_LOADM(cr + q * PK_W, last) : PK_LOAD(cr + q * PK_W);
                y = PK_ADD(y, PK_MUL(vb, old));
            }
            if (part)
                PK_STOREM(cr + q * PK_W, last, y);
            else
                PK_STORE(cr + q * PK_W, y);
        }
    }
}

/* PK(tile) with mr and nv as constants: mr <= PK_MR with nv <= PK_NV (the
 * main tiles and their edges), or the wide single- and double-row tiles
 * for the B = 1, 2 recurrent step (8 and 4 vectors). */
#define PK_ARGS k, u, rsu, csu, v, ldv, last, alpha, beta, c, ldc
#define PK_CASE(MR_, NV_)                       \
    case (MR_)*16 + (NV_):                      \
        if (masked)                             \
            PK(tile)((MR_), (NV_), 1, PK_ARGS); \
        else                                    \
            PK(tile)((MR_), (NV_), 0, PK_ARGS); \
        return
PK_TARGET static void PK(tile_any)(int mr, int nv, int masked, size_t k, const float *u, size_t rsu,
                                   size_t csu, const float *v, size_t ldv, PK_MASK last,
                                   float alpha, float beta, float *c, size_t ldc) {
    switch (mr * 16 + nv) {
        PK_CASE(1, 1);
        PK_CASE(1, 2);
        PK_CASE(1, 3);
        PK_CASE(1, 4);
        PK_CASE(1, 5);
        PK_CASE(1, 6);
        PK_CASE(1, 7);
        PK_CASE(1, 8);
        PK_CASE(2, 1);
        PK_CASE(2, 2);
        PK_CASE(2, 3);
        PK_CASE(2, 4);
        PK_CASE(3, 1);
        PK_CASE(3, 2);
        PK_CASE(4, 1);
        PK_CASE(4, 2);
        PK_CASE(5, 1);
        PK_CASE(5, 2);
        PK_CASE(6, 1);
        PK_CASE(6, 2);
#if PK_MR > 6
        PK_CASE(7, 1);
        PK_CASE(7, 2);
        PK_CASE(8, 1);
        PK_CASE(8, 2);
#endif
    default: break;
    }
}
#undef PK_CASE
#undef PK_ARGS

/* The tile grid of g: rows per block and columns per panel. Depends on m
 * only (wide tiles for m <= 2), never on the thread count. */
static void PK(grid)(const pk_args *g, size_t *mr_max, size_t *nr) {
    const int wide = g->m <= 2;
    *mr_max = wide ? g->m : PK_MR;
    *nr = (wide ? (g->m == 1 ? 8 : 4) : PK_NV) * PK_W;
}

/* Columns j0 .. j0+cols of C, every row block, with V(p, :) at v + p*ldv. */
PK_TARGET static void PK(panel)(const pk_args *g, size_t j0, size_t cols, const float *v,
                                size_t ldv, size_t i0, size_t i1) {
    size_t mr_max, nr;
    PK(grid)(g, &mr_max, &nr);
    const size_t nv = (cols + PK_W - 1) / PK_W;
    const size_t lanes = cols - (nv - 1) * PK_W;
    for (size_t i = i0; i < i1; i += mr_max) {
        const size_t mr = i1 - i < mr_max ? i1 - i : mr_max;
        PK(tile_any)
        ((int)mr, (int)nv, lanes != PK_W, g->k, g->u + i * g->rsu, g->rsu, g->csu, v, ldv,
         PK_MASKOF(lanes), g->alpha, g->beta, g->c + i * g->ldc + j0, g->ldc);
    }
}

/* Work units t0 <= t < t1 of g (see PK(unit_count)); buf: this thread's
 * panel buffer (k x nr floats) when g->b_panels. */
PK_TARGET static void PK(units)(const pk_args *g, size_t t0, size_t t1, float *buf) {
    size_t mr_max, nr;
    PK(grid)(g, &mr_max, &nr);
    const size_t panels = (g->n + nr - 1) / nr;
    for (size_t t = t0; t < t1; t++) {
        if (g->b_panels) {
            /* A column panel of op(B), copied into contiguous rows just
             * before every row block uses it, so that it comes from cache. */
            const size_t j0 = t * nr, cols = g->n - j0 < nr ? g->n - j0 : nr;
            if (g->trans_b)
                pack_transposed(g->b + j0 * g->ldb, g->ldb, cols, g->k, buf, nr);
            else
                pack_rows(g->b + j0, g->ldb, cols, g->k, buf, nr);
            PK(panel)(g, j0, cols, buf, nr, 0, g->m);
        } else {
            /* A tile of the (row block, column panel) grid, row blocks first. */
            const size_t i0 = (t / panels) * mr_max, j0 = (t % panels) * nr;
            const size_t i1 = g->m - i0 < mr_max ? g->m : i0 + mr_max;
            const size_t cols = g->n - j0 < nr ? g->n - j0 : nr;
            PK(panel)(g, j0, cols, g->v + j0, g->ldv, i0, i1);
        }
    }
}

/* Column panels when B is packed panel by panel, else tiles. */
static size_t PK(unit_count)(const pk_args *g, size_t *panel_floats) {
    size_t mr_max, nr;
    PK(grid)(g, &mr_max, &nr);
    *panel_floats = g->k * nr;
    const size_t panels = (g->n + nr - 1) / nr;
    return g->b_panels ? panels : ((g->m + mr_max - 1) / mr_max) * panels;
}

/* The parameters are the includer's, for one ISA: drop them. */
#undef PK
#undef PK_TARGET
#undef PK_W
#undef PK_MR
#undef PK_NV
#undef PK_NVMAX
#undef PK_VEC
#undef PK_MASK
#undef PK_ZERO
#undef PK_LOAD
#undef PK_LOADM
#undef PK_STORE
#undef PK_STOREM
#undef PK_BCAST
#undef PK_FMA
#undef PK_MUL
#undef PK_ADD
#undef PK_MASKOF
