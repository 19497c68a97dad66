// The blocked matrix product and the few-row forward kernel, written once over a SIMD vector type V.
//
// Each of gemm_scalar.cpp, gemm_avx2.cpp and gemm_avx512.cpp includes this file inside its own
// namespace (hence no include guard and no #include here) and compiles it with its own flags, so
// no function compiled for one instruction set can be picked by the linker for another.
//
// V describes one vector of W values of type T and the register tile (MR rows, NV vectors wide):
//   zero(), set1(t), load(p) (unaligned), store(p, v), load_n(p, n) / store_n(p, v, n) (the first
//   n lanes; the others read as 0, written never), fma(a, b, c) = a * b + c, add(a, b),
//   relu(v) = v < 0 ? 0 : v (NaN stays NaN), transpose (a W x W block), reduce (W lane sums),
//   sum (the lane sum of one vector, added in the same order as reduce adds each of its W).
//
// ---- The blocking scheme (after Goto and van de Geijn, and BLIS) ---------------------------------
//
//   for jc over the columns of C in steps of NC
//     for pc over k in steps of KC
//       pack B[pc:pc+KC, jc:jc+NC] into slivers NR columns wide: for each k, NR contiguous values
//       for ic over the rows of C in steps of MC
//         pack A[ic:ic+MC, pc:pc+KC] into slivers MR rows tall: for each k, MR contiguous values
//         for each A sliver (MR x KC: stays in L1)
//           for each B sliver (KC x NR: the whole packed B block, KC x NC, stays in L2)
//             micro-kernel: an MR x NR tile of C held in MR * NV vector registers, updated by one
//             rank-1 product per k (NV vector loads of B, MR broadcasts of A, MR * NV fmas)
//
// A product big enough for several threads packs all of A once beforehand (pack_a_all, the
// threads sharing the rows), then splits C's columns between the threads, which skip "pack A":
// otherwise every column block of every thread would pack the same A again.
//
// Packing turns any layout of A and B (the three products of a dense layer read W, X and dY
// transposed or not) into the unit-stride streams the micro-kernel wants, and keeps them in cache.
// Edges are zero-padded in the packed buffers and stored with masks, so every tile runs the same
// code. Each element of C is summed one k block at a time: the block's sum runs from 0, and is
// then added to what the earlier blocks stored in C (as BLAS does: the rounding error grows with
// KC + k / KC, not k, so a layer 50000 wide sums as accurately as PyTorch's). The edges and the
// split between threads never change a single bit.

using index_t = std::ptrdiff_t;

#if defined(__GNUC__) && !defined(__clang__)
#define DENSENN_UNROLL _Pragma("GCC unroll 32")
#elif defined(__clang__)
#define DENSENN_UNROLL _Pragma("unroll")
#else
#define DENSENN_UNROLL
#endif

inline index_t min_index(index_t a, index_t b) { return a < b ? a : b; }
constexpr index_t KB = 8;  // rows (or columns) a packing loop reads side by side

// Returns p unchanged, as something the optimiser cannot see through: a pointer advanced row by row
// stays one register instead of sixteen precomputed offsets, whose set-up costs more than a small
// layer's whole product.
template <typename P>
inline P opaque(P p) {
#if defined(__GNUC__) || defined(__clang__)
  __asm__("" : "+r"(p));
#endif
  return p;
}
inline int lanes_left(index_t n, int v, int w) {  // valid lanes of vector v when n values remain
  const index_t left = n - index_t(v) * w;
  return left <= 0 ? 0 : left >= w ? w : int(left);
}

// ---- micro-kernel ---------------------------------------------------------------------------------
// C (m, n) tile (m <= ROWS, n <= NVEC * W) at c, row stride ldc:
//   C = (first ? 0 : C) + (sum over k < kc of A[:, k] B[k, :], from 0), then on the last block + bias, relu.
// a: packed A sliver, V::MR values per k; b: packed B sliver, V::NV * W values per k.
template <class V, int ROWS, int NVEC>
void micro_kernel(index_t kc, const typename V::T* a, const typename V::T* b, typename V::T* c, index_t ldc, int m,
                  int n, const typename V::T* bias, bool relu, bool first, bool last) {
  using R = typename V::reg;
  constexpr int W = V::W, A_STEP = V::MR, B_STEP = V::NV * V::W;
  const bool full = m == ROWS && n == NVEC * W;
  R acc[ROWS][NVEC];
  DENSENN_UNROLL for (int r = 0; r < ROWS; ++r) {
    DENSENN_UNROLL for (int v = 0; v < NVEC; ++v) acc[r][v] = V::zero();
  }
  for (index_t k = 0; k < kc; ++k) {
    R bv[NVEC];
    DENSENN_UNROLL for (int v = 0; v < NVEC; ++v) bv[v] = V::load(b + v * W);
    DENSENN_UNROLL for (int r = 0; r < ROWS; ++r) {
      const R ar = V::set1(a[r]);
      DENSENN_UNROLL for (int v = 0; v < NVEC; ++v) acc[r][v] = V::fma(ar, bv[v], acc[r][v]);
    }
    a += A_STEP;
    b += B_STEP;
  }
  if (!first) {  // the earlier blocks' sum + this block's
    DENSENN_UNROLL for (int r = 0; r < ROWS; ++r) {
      DENSENN_UNROLL for (int v = 0; v < NVEC; ++v) {
        if (full)
          acc[r][v] = V::add(V::load(c + r * ldc + v * W), acc[r][v]);
        else if (r < m && lanes_left(n, v, W) > 0)
          acc[r][v] = V::add(V::load_n(c + r * ldc + v * W, lanes_left(n, v, W)), acc[r][v]);
      }
    }
  }
  if (last && bias) {
    DENSENN_UNROLL for (int v = 0; v < NVEC; ++v) {
      const int lanes = full ? W : lanes_left(n, v, W);
      const R bb = lanes == W ? V::load(bias + v * W) : V::load_n(bias + v * W, lanes);
      DENSENN_UNROLL for (int r = 0; r < ROWS; ++r) acc[r][v] = V::add(acc[r][v], bb);
    }
  }
  if (last && relu) {
    DENSENN_UNROLL for (int r = 0; r < ROWS; ++r) {
      DENSENN_UNROLL for (int v = 0; v < NVEC; ++v) acc[r][v] = V::relu(acc[r][v]);
    }
  }
  DENSENN_UNROLL for (int r = 0; r < ROWS; ++r) {
    DENSENN_UNROLL for (int v = 0; v < NVEC; ++v) {
      if (full)
        V::store(c + r * ldc + v * W, acc[r][v]);
      else if (r < m && lanes_left(n, v, W) > 0)
        V::store_n(c + r * ldc + v * W, acc[r][v], lanes_left(n, v, W));
    }
  }
}

// The smallest instantiated tile that covers m rows (of NVEC vectors): fewer wasted rows at edges.
template <class V, int NVEC>
void tile_rows(index_t kc, const typename V::T* a, const typename V::T* b, typename V::T* c, index_t ldc, int m, int n,
               const typename V::T* bias, bool relu, bool first, bool last) {
  constexpr int MR = V::MR, M8 = MR < 8 ? MR : 8, M4 = MR < 4 ? MR : 4, M2 = MR < 2 ? MR : 2;
  if (m > M8)
    micro_kernel<V, MR, NVEC>(kc, a, b, c, ldc, m, n, bias, relu, first, last);
  else if (m > M4)
    micro_kernel<V, M8, NVEC>(kc, a, b, c, ldc, m, n, bias, relu, first, last);
  else if (m > M2)
    micro_kernel<V, M4, NVEC>(kc, a, b, c, ldc, m, n, bias, relu, first, last);
  else if (m > 1)
    micro_kernel<V, M2, NVEC>(kc, a, b, c, ldc, m, n, bias, relu, first, last);
  else
    micro_kernel<V, 1, NVEC>(kc, a, b, c, ldc, m, n, bias, relu, first, last);
}

// An m x n tile (m <= MR, n <= NR), with the smallest instantiated width that covers n columns.
template <class V>
void tile(index_t kc, const typename V::T* a, const typename V::T* b, typename V::T* c, index_t ldc, int m, int n,
          const typename V::T* bias, bool relu, bool first, bool last) {
  constexpr int NV = V::NV, N2 = NV / 2 > 0 ? NV / 2 : 1, W = V::W;
  if (n > N2 * W)
    tile_rows<V, NV>(kc, a, b, c, ldc, m, n, bias, relu, first, last);
  else if (n > W)
    tile_rows<V, N2>(kc, a, b, c, ldc, m, n, bias, relu, first, last);
  else
    tile_rows<V, 1>(kc, a, b, c, ldc, m, n, bias, relu, first, last);
}

// ---- packing --------------------------------------------------------------------------------------
// B[pc:pc+kc, jc:jc+nc] -> slivers of NR columns, each kc x NR (k-major), zero-padded to NR.
template <class V>
void pack_b(typename V::T* dst, const GemmProblem<typename V::T>& p, index_t pc, index_t kc, index_t jc, index_t nc) {
  using T = typename V::T;
  constexpr int W = V::W, NV = V::NV, NR = NV * W;
  if (p.b_cs == 1) {  // rows of B contiguous (W in dX = dY W, X in dW = dY^T X): copy
    // KB rows at a time: a few sequential streams for the prefetcher, and few enough lines that
    // their 4 KiB-aligned rows don't evict each other from the cache.
    for (index_t k0 = 0; k0 < kc; k0 += KB) {
      const index_t k1 = min_index(kc, k0 + KB);
      T* out = dst;
      for (index_t js = 0; js < nc; js += NR, out += kc * NR) {
        const index_t n = min_index(NR, nc - js);
        for (index_t k = k0; k < k1; ++k) {
          const T* row = p.b + (pc + k) * p.b_rs + jc + js;
          DENSENN_UNROLL for (int v = 0; v < NV; ++v) {
            const int lanes = lanes_left(n, v, W);
            const T* s = row + v * W;
            V::store(out + k * NR + v * W, lanes == W ? V::load(s) : lanes > 0 ? V::load_n(s, lanes) : V::zero());
          }
        }
      }
    }
    return;
  }
  for (index_t js = 0; js < nc; js += NR, dst += kc * NR) {
    const index_t n = min_index(NR, nc - js);
    const T* src = p.b + pc * p.b_rs + (jc + js) * p.b_cs;
    index_t k = 0;
    if (p.b_rs == 1 && W > 1) {  // columns of B contiguous (W^T in Y = X W^T): transpose blocks,
      for (int v = 0; v < NV; ++v)  // one vector of columns at a time (W rows read side by side)
        for (index_t kk = 0; kk + W <= kc; kk += W)
          V::transpose(src + index_t(v) * W * p.b_cs + kk, p.b_cs, lanes_left(n, v, W), dst + kk * NR + v * W, NR, W);
      k = kc / W * W;
    }
    for (; k < kc; ++k)
      for (index_t j = 0; j < NR; ++j) dst[k * NR + j] = j < n ? src[k * p.b_rs + j * p.b_cs] : T(0);
  }
}

// A[ic:ic+mc, pc:pc+kc] -> slivers of MR rows, each kc x MR (k-major), zero-padded to MR.
template <class V>
void pack_a(typename V::T* dst, const GemmProblem<typename V::T>& p, index_t ic, index_t mc, index_t pc, index_t kc) {
  using T = typename V::T;
  constexpr int W = V::W, MR = V::MR;
  if (MR <= W && W > 1 && p.a_rs == 1) {  // columns of A contiguous (dY^T in dW = dY^T X): copy
    for (index_t k0 = 0; k0 < kc; k0 += KB) {  // KB columns at a time, as in pack_b
      const index_t k1 = min_index(kc, k0 + KB);
      T* out = dst;
      for (index_t is = 0; is < mc; is += MR, out += kc * MR) {
        const int m = int(min_index(MR, mc - is));
        for (index_t k = k0; k < k1; ++k) V::store_n(out + k * MR, V::load_n(p.a + ic + is + (pc + k) * p.a_cs, m), MR);
      }
    }
    return;
  }
  for (index_t is = 0; is < mc; is += MR, dst += kc * MR) {
    const int m = int(min_index(MR, mc - is));
    const T* src = p.a + (ic + is) * p.a_rs + pc * p.a_cs;
    index_t k = 0;
    if (MR <= W && W > 1 && p.a_cs == 1) {  // rows of A contiguous (X, dY): transpose blocks
      for (; k + W <= kc; k += W) V::transpose(src + k, p.a_rs, m, dst + k * MR, MR, MR);
    }
    for (; k < kc; ++k)
      for (int r = 0; r < MR; ++r) dst[k * MR + r] = r < m ? src[r * p.a_rs + k * p.a_cs] : T(0);
  }
}

// Where k block pc of all of A starts in pack_a_all's buffer, and row i0 (a multiple of MR)
// inside it: the blocks one after the other, each p.m rows rounded up to MR, its slivers as
// pack_a writes them.
template <class V>
index_t apacked_offset(const GemmProblem<typename V::T>& p, index_t pc, index_t kc, index_t i0) {
  return pc * ((p.m + V::MR - 1) / V::MR * V::MR) + i0 * kc;
}

// All of A's rows [i0, i1) (i0 a multiple of MR), every k block, into `dst` laid out for gemm's
// `apacked` (see apacked_offset).
template <class V>
void pack_a_all(const GemmProblem<typename V::T>& p, typename V::T* dst, index_t i0, index_t i1) {
  for (index_t pc = 0; pc < p.k; pc += V::KC) {
    const index_t kc = min_index(V::KC, p.k - pc);
    pack_a<V>(dst + apacked_offset<V>(p, pc, kc, i0), p, i0, i1 - i0, pc, kc);
  }
}

// ---- the blocked product --------------------------------------------------------------------------
// C[i0:i1, j0:j1] = (A B)[i0:i1, j0:j1] (+ bias, relu): see the blocking scheme at the top. With
// `apacked` (all of A packed by pack_a_all, once for every thread and column block; i0 == 0) the
// slivers of A are read from there instead of being packed again.
template <class V>
void gemm(const GemmProblem<typename V::T>& p, index_t i0, index_t i1, index_t j0, index_t j1, typename V::T* work,
          const typename V::T* apacked) {
  using T = typename V::T;
  constexpr int MR = V::MR, NR = V::NV * V::W;
  constexpr index_t KC = V::KC, MC = V::MC, NC = V::NC;
  if (p.k == 0) {  // an empty sum: C = bias (or 0), then relu
    for (index_t i = i0; i < i1; ++i)
      for (index_t j = j0; j < j1; ++j) {
        const T v = p.bias ? p.bias[j] : T(0);
        p.c[i * p.ldc + j] = p.relu && v < T(0) ? T(0) : v;
      }
    return;
  }
  T* bpack = work;
  T* apack = work + min_index(KC, p.k) * min_index(NC, (j1 - j0 + NR - 1) / NR * NR);
  for (index_t jc = j0; jc < j1; jc += NC) {
    const index_t nc = min_index(NC, j1 - jc);
    for (index_t pc = 0; pc < p.k; pc += KC) {
      const index_t kc = min_index(KC, p.k - pc);
      const bool first = pc == 0, last = pc + kc == p.k;
      pack_b<V>(bpack, p, pc, kc, jc, nc);
      for (index_t ic = i0; ic < i1; ic += MC) {
        const index_t mc = min_index(MC, i1 - ic);
        const T* ablock = apack;
        if (apacked)
          ablock = apacked + apacked_offset<V>(p, pc, kc, ic);
        else
          pack_a<V>(apack, p, ic, mc, pc, kc);
        for (index_t ir = 0; ir < mc; ir += MR) {
          const int m = int(min_index(MR, mc - ir));
          for (index_t jr = 0; jr < nc; jr += NR) {
            const int n = int(min_index(NR, nc - jr));
            tile<V>(kc, ablock + ir * kc, bpack + jr * kc, p.c + (ic + ir) * p.ldc + jc + jr, p.ldc, m, n,
                    p.bias ? p.bias + jc + jr : nullptr, p.relu, first, last);
          }
        }
      }
    }
  }
}

// ---- a few rows without packing ----------------------------------------------------------------
// C[i, j0:j1] = sum_k A(i, k) B[k, j0:j1] (+ bias, relu) for every row i < m, reading the rows of B
// where they are (b_cs == 1): packing B would cost as much as the product for one row. Blocks of
// 4 vectors of columns, 4 independent chains; each element is summed in k blocks of KC as the
// blocked product sums it, to the same bits.
template <class V>
void gemm_rows(const GemmProblem<typename V::T>& p, index_t j0, index_t j1) {
  using T = typename V::T;
  using R = typename V::reg;
  constexpr int W = V::W, NB = 4;
  for (index_t i = 0; i < p.m; ++i) {
    const T* a = p.a + i * p.a_rs;
    T* c = p.c + i * p.ldc;
    for (index_t j = j0; j < j1; j += NB * W) {
      const index_t n = min_index(NB * W, j1 - j);
      const T* b = p.b + j;
      R acc[NB];
      DENSENN_UNROLL for (int v = 0; v < NB; ++v) acc[v] = V::zero();
      for (index_t k0 = 0; k0 < p.k; k0 += V::KC) {
        const index_t k1 = min_index(p.k, k0 + V::KC);
        R part[NB];  // this k block's sums, from 0
        DENSENN_UNROLL for (int v = 0; v < NB; ++v) part[v] = V::zero();
        if (n == NB * W) {
          for (index_t k = k0; k < k1; ++k) {
            const R ak = V::set1(a[k * p.a_cs]);
            DENSENN_UNROLL for (int v = 0; v < NB; ++v) part[v] = V::fma(ak, V::load(b + k * p.b_rs + v * W), part[v]);
          }
        } else {
          for (index_t k = k0; k < k1; ++k) {
            const R ak = V::set1(a[k * p.a_cs]);
            DENSENN_UNROLL for (int v = 0; v < NB; ++v) {
              const int lanes = lanes_left(n, v, W);
              if (lanes > 0) part[v] = V::fma(ak, V::load_n(b + k * p.b_rs + v * W, lanes), part[v]);
            }
          }
        }
        DENSENN_UNROLL for (int v = 0; v < NB; ++v) acc[v] = k0 == 0 ? part[v] : V::add(acc[v], part[v]);
      }
      DENSENN_UNROLL for (int v = 0; v < NB; ++v) {
        const int lanes = lanes_left(n, v, W);
        if (lanes == 0) continue;
        if (p.bias) acc[v] = V::add(acc[v], V::load_n(p.bias + j + v * W, lanes));
        if (p.relu) acc[v] = V::relu(acc[v]);
        V::store_n(c + j + v * W, acc[v], lanes);
      }
    }
  }
}

// ---- SGD ------------------------------------------------------------------------------------------
// p -= lr * g, as p + (-lr) g: one rounding where V fuses the multiply-add.
template <class V>
void sgd(typename V::T* p, const typename V::T* g, typename V::T lr, index_t n) {
  using R = typename V::reg;
  constexpr int W = V::W;
  const R neg_lr = V::set1(-lr);
  index_t k = 0;
  // First up to the next 64-byte boundary of p, so that no store of the main loop splits a line.
  const auto misaligned = reinterpret_cast<std::uintptr_t>(p) % 64;
  if (W > 1 && misaligned % sizeof(typename V::T) == 0 && misaligned != 0) {
    const int head = int(min_index(index_t((64 - misaligned) / sizeof(typename V::T)) % W, n));
    if (head > 0) V::store_n(p, V::fma(neg_lr, V::load_n(g, head), V::load_n(p, head)), head);
    k = head;
  }
  for (; k + W <= n; k += W) V::store(p + k, V::fma(neg_lr, V::load(g + k), V::load(p + k)));
  if (k < n) {
    const int t = int(n - k);
    V::store_n(p + k, V::fma(neg_lr, V::load_n(g + k, t), V::load_n(p + k, t)), t);
  }
}

// ---- the forward pass for a few rows --------------------------------------------------------------
// Y[r, j] = sum_i X[r, i] W[j, i] + b[j] for r < batch and j in [j0, j1), then relu if asked.
// Without packing: W lanes run along i, one accumulator per row of W, W rows of W at a time (short
// rows one after the other, long ones four side by side so that their dependency chains overlap).
// Long rows are summed in blocks of KC values (each from 0, then added in, as the blocked product
// does). V::reduce then adds each accumulator's lanes in a fixed tree; V::sum adds one vector's
// lanes in the same tree, for the last one or two outputs, so an output's bits never depend on
// which of the two it went through.
//
// NB is in / W (the number of whole vectors along i) when it is small enough to keep the row of X
// in registers and unroll, or -1 for a loop; TAIL says whether in % W values are left over (a
// compile-time fact, so that no masked fma runs for nothing).
template <class V, int NB, bool TAIL>
void dot_forward_rows(typename V::T* y, const typename V::T* x, const typename V::T* w, const typename V::T* b,
                      index_t batch, index_t in, index_t out, index_t j0, index_t j1, bool relu) {
  using T = typename V::T;
  using R = typename V::reg;
  constexpr int W = V::W, XV = NB > 0 ? NB : 1, G = W < 4 ? W : 4;
  const index_t body = in / W * W;
  const int tail = int(in - body);  // nonzero exactly when TAIL
  // Rows of X outside, blocks of W rows of W inside (with two rows of X, W is read twice, from
  // cache when it fits: keeping the row of X in registers matters more for small layers).
  for (index_t r = 0; r < batch; ++r) {
    const T* xr = x + r * in;
    T* yr = y + r * out;
    R xv[XV];
    DENSENN_UNROLL for (int v = 0; v < XV; ++v) xv[v] = v < NB ? V::load(xr + v * W) : V::zero();
    const R xt = TAIL ? V::load_n(xr + body, tail) : V::zero();
    const auto row = [&](const T* wq) {  // one row of W against the row of X
      R a = V::zero();
      if (NB >= 0) {
        DENSENN_UNROLL for (int v = 0; v < XV; ++v) {
          if (v < NB) a = V::fma(V::load(wq + v * W), xv[v], a);
        }
      } else {
        for (index_t i0 = 0; i0 < body; i0 += V::KC) {  // in blocks, as below
          R part = V::zero();
          for (index_t i = i0; i < min_index(body, i0 + V::KC); i += W) part = V::fma(V::load(wq + i), V::load(xr + i), part);
          a = i0 == 0 ? part : V::add(a, part);
        }
      }
      return TAIL ? V::fma(V::load_n(wq + body, tail), xt, a) : a;
    };
    for (index_t j = j0; j < j1; j += W) {
      const int rows = int(min_index(W, j1 - j));
      const T* wj = w + j * in;
      if (rows <= 2) {  // one or two outputs left: a full reduce would waste W - 2 lanes
        for (int q = 0; q < rows; ++q) {
          T v = V::sum(row(wj + q * in));
          if (b) v += b[j + q];
          yr[j + q] = relu && v < T(0) ? T(0) : v;
        }
        continue;
      }
      R acc[W];
      if (NB >= 0) {  // short rows: one after the other, each chain a few fmas long
        const T* wq = wj;
        DENSENN_UNROLL for (int q = 0; q < W; ++q) {
          acc[q] = q < rows ? row(wq) : V::zero();
          wq = opaque(wq + in);
        }
      } else {  // long rows: G at a time, so that G chains (one per row) run side by side
        DENSENN_UNROLL for (int g = 0; g < W; g += G) {
          const T* wg[G];
          R a[G];
          DENSENN_UNROLL for (int q = 0; q < G; ++q) {
            wg[q] = wj + (g + q < rows ? g + q : 0) * in;  // rows past the end repeat row 0, unused
            a[q] = V::zero();
          }
          if (g < rows) {
            // In blocks of KC values, each summed from 0 and then added in, as the blocked product
            // sums (error growing with KC + in / KC, not in).
            for (index_t i0 = 0; i0 < body; i0 += V::KC) {
              R part[G];
              DENSENN_UNROLL for (int q = 0; q < G; ++q) part[q] = V::zero();
              for (index_t i = i0; i < min_index(body, i0 + V::KC); i += W) {
                const R xi = V::load(xr + i);
                DENSENN_UNROLL for (int q = 0; q < G; ++q) part[q] = V::fma(V::load(wg[q] + i), xi, part[q]);
              }
              DENSENN_UNROLL for (int q = 0; q < G; ++q) a[q] = i0 == 0 ? part[q] : V::add(a[q], part[q]);
            }
            if (TAIL) {
              DENSENN_UNROLL for (int q = 0; q < G; ++q) a[q] = V::fma(V::load_n(wg[q] + body, tail), xt, a[q]);
            }
          }
          DENSENN_UNROLL for (int q = 0; q < G; ++q) acc[g + q] = g + q < rows ? a[q] : V::zero();
        }
      }
      R sums = V::reduce(acc);
      if (b) sums = V::add(sums, rows == W ? V::load(b + j) : V::load_n(b + j, rows));
      if (relu) sums = V::relu(sums);
      if (rows == W)
        V::store(yr + j, sums);
      else
        V::store_n(yr + j, sums, rows);
    }
  }
}

template <class V, bool TAIL>
void dot_forward_tail(typename V::T* y, const typename V::T* x, const typename V::T* w, const typename V::T* b,
                      index_t batch, index_t in, index_t out, index_t j0, index_t j1, bool relu) {
  switch (in / V::W) {
    case 0:
      return dot_forward_rows<V, 0, TAIL>(y, x, w, b, batch, in, out, j0, j1, relu);
    case 1:
      return dot_forward_rows<V, 1, TAIL>(y, x, w, b, batch, in, out, j0, j1, relu);
    case 2:
      return dot_forward_rows<V, 2, TAIL>(y, x, w, b, batch, in, out, j0, j1, relu);
    case 3:
      return dot_forward_rows<V, 3, TAIL>(y, x, w, b, batch, in, out, j0, j1, relu);
    case 4:
      return dot_forward_rows<V, 4, TAIL>(y, x, w, b, batch, in, out, j0, j1, relu);
    case 5:
      return dot_forward_rows<V, 5, TAIL>(y, x, w, b, batch, in, out, j0, j1, relu);
    case 6:
      return dot_forward_rows<V, 6, TAIL>(y, x, w, b, batch, in, out, j0, j1, relu);
    case 7:
      return dot_forward_rows<V, 7, TAIL>(y, x, w, b, batch, in, out, j0, j1, relu);
    case 8:
      return dot_forward_rows<V, 8, TAIL>(y, x, w, b, batch, in, out, j0, j1, relu);
    default:
      return dot_forward_rows<V, -1, TAIL>(y, x, w, b, batch, in, out, j0, j1, relu);
  }
}

template <class V>
void dot_forward(typename V::T* y, const typename V::T* x, const typename V::T* w, const typename V::T* b,
                 index_t batch, index_t in, index_t out, index_t j0, index_t j1, bool relu) {
  if (in % V::W == 0)
    dot_forward_tail<V, false>(y, x, w, b, batch, in, out, j0, j1, relu);
  else
    dot_forward_tail<V, true>(y, x, w, b, batch, in, out, j0, j1, relu);
}

// Each step's Y (batch, out) = X W^T + b (relu), X (batch, in) the previous step's Y (x first).
template <class V>
void dot_forward_stack(const DenseStep<typename V::T>* steps, int count, const typename V::T* x, index_t batch) {
  for (int s = 0; s < count; ++s) {
    const DenseStep<typename V::T>& step = steps[s];
    dot_forward<V>(step.y, x, step.w, step.b, batch, step.in, step.out, 0, step.out, step.relu);
    x = step.y;
  }
}

// ---- one row through W^T (FrozenNet) ----------------------------------------------------------------
// y[j] = sum_i x[i] Wt[i, j] + b[j] for j < out, Wt (in, out) with rows ld apart, each readable up
// to out rounded up to W (zero-padded): blocks of NV vectors of outputs, each row of Wt scaled by
// x[i] and added in, so no sum ever crosses vector lanes. Each output is P partial sums (i mod P;
// the last in % P rows go to the first), P independent chains of fmas, added as (p0 + p1) +
// (p2 + p3), then + b.
template <class V, int NV>
void forward_row_t_block(typename V::T* y, const typename V::T* x, const typename V::T* wt, index_t ld,
                         const typename V::T* b, index_t in, index_t j, int last_lanes, bool relu) {
  using R = typename V::reg;
  constexpr int W = V::W, P = W >= 16 ? 4 : 2;
  R acc[P][NV];
  DENSENN_UNROLL for (int p = 0; p < P; ++p) {
    DENSENN_UNROLL for (int v = 0; v < NV; ++v) acc[p][v] = V::zero();
  }
  index_t i = 0;
  for (; i + P <= in; i += P) {
    DENSENN_UNROLL for (int p = 0; p < P; ++p) {
      const R xi = V::set1(x[i + p]);
      const typename V::T* row = wt + (i + p) * ld + j;
      DENSENN_UNROLL for (int v = 0; v < NV; ++v) acc[p][v] = V::fma(xi, V::load(row + v * W), acc[p][v]);
    }
  }
  for (; i < in; ++i) {
    const R xi = V::set1(x[i]);
    const typename V::T* row = wt + i * ld + j;
    DENSENN_UNROLL for (int v = 0; v < NV; ++v) acc[0][v] = V::fma(xi, V::load(row + v * W), acc[0][v]);
  }
  DENSENN_UNROLL for (int v = 0; v < NV; ++v) {
    const int lanes = v + 1 < NV ? W : last_lanes;
    R s = V::add(acc[0][v], acc[1 % P][v]);
    if (P == 4) s = V::add(s, V::add(acc[2 % P][v], acc[3 % P][v]));
    if (b) s = V::add(s, lanes == W ? V::load(b + j + v * W) : V::load_n(b + j + v * W, lanes));
    if (relu) s = V::relu(s);
    if (lanes == W)
      V::store(y + j + v * W, s);
    else
      V::store_n(y + j + v * W, s, lanes);
  }
}

template <class V>
void forward_row_t(typename V::T* y, const typename V::T* x, const typename V::T* wt, index_t ld,
                   const typename V::T* b, index_t in, index_t out, bool relu) {
  constexpr int W = V::W;
  index_t j = 0;
  for (; j + 4 * W <= out; j += 4 * W) forward_row_t_block<V, 4>(y, x, wt, ld, b, in, j, W, relu);
  const index_t left = out - j;  // 0 to 4 W - 1 outputs: one more block of 1 to 4 vectors
  const int last_lanes = int(left - (left - 1) / W * W);
  switch ((left + W - 1) / W) {
    case 1:
      return forward_row_t_block<V, 1>(y, x, wt, ld, b, in, j, last_lanes, relu);
    case 2:
      return forward_row_t_block<V, 2>(y, x, wt, ld, b, in, j, last_lanes, relu);
    case 3:
      return forward_row_t_block<V, 3>(y, x, wt, ld, b, in, j, last_lanes, relu);
    case 4:
      return forward_row_t_block<V, 4>(y, x, wt, ld, b, in, j, last_lanes, relu);
    default:
      return;
  }
}

// The table kernels.cpp dispatches through.
template <class V>
constexpr IsaKernels<typename V::T> make_kernels() {
  static_assert(V::KC * (V::NC + V::MC) * index_t(sizeof(typename V::T)) <= (index_t(1) << 20),
                "packed blocks must fit the 1 MiB per-thread scratch buffer (parallel.hpp)");
  static_assert(V::MC % V::MR == 0 && V::NC % (V::NV * V::W) == 0, "cache blocks are whole tiles");
  static_assert(V::KC % V::W == 0, "dot_forward's blocks along k are whole vectors");
  return {V::MR, V::NV * V::W, V::KC, V::MC, V::NC, V::W, &gemm<V>, &pack_a_all<V>, &gemm_rows<V>, &sgd<V>,
          &dot_forward<V>, &dot_forward_stack<V>, &forward_row_t<V>};
}
