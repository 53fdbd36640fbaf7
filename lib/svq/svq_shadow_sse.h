/* SPDX-License-Identifier: BSD-3-Clause */

#ifndef SVQ_SHADOW_SSE_H
#define SVQ_SHADOW_SSE_H

/*
 * The shadow virtqueue's four-at-a-time paths, with SSE4.2 (the x86
 * baseline DPDK builds for): chains of one descriptor forwarded, and
 * their completions returned, four at a time. Each checks its four as
 * the one-at-a-time path in svq_shadow.c checks one, and against each
 * other, and writes nothing unless all four pass; the caller then takes
 * them one at a time. Defines SVQ_SHADOW_SSE where they exist. Included
 * by svq_shadow.c only; private to lib/svq.
 */

#if defined(RTE_ARCH_X86_64) && defined(__SSE4_2__)
#define SVQ_SHADOW_SSE 1

#include <rte_vect.h>

#include "svq_dirty_log.h"
#include "svq_shadow_priv.h"

/* The sum of a vector's two 64-bit lanes. */
static __rte_always_inline uint64_t
svq_sum_epi64(__m128i v)
{
	return _mm_cvtsi128_si64(v) + _mm_extract_epi64(v, 1);
}

/* Constants of the four-at-a-time path, set up once per burst. */
struct svq_fast_vec {
	uint64_t beyond_ring;	/* bits a head within the ring has clear, x4 */
	__m128i chained;	/* NEXT | INDIRECT in word 1, both lanes */
	__m128i len;		/* len in word 1 */
	__m128i write;		/* WRITE in a flags dword */
	__m128i keep;		/* what of a descriptor the device sees */
	__m128i start, end;	/* the window */
	__m128i pos_step;	/* four avail positions on */
};

static __rte_always_inline void
svq_fast_vec_init(struct svq_fast_vec *v, uint32_t mask, struct svq_window w)
{
	v->beyond_ring = UINT64_C(0x0001000100010001) * (uint16_t)~mask;
	v->chained = _mm_set1_epi64x(SVQ_DESC_WORD_FLAGS(VRING_DESC_F_NEXT |
				VRING_DESC_F_INDIRECT));
	v->len = _mm_set1_epi64x(UINT32_MAX);
	v->write = _mm_set1_epi32(VRING_DESC_F_WRITE);
	v->keep = _mm_set_epi64x(SVQ_DESC_WORD_KEEP, -1);
	/* Compared as signed: a window past 2^63 is left to the scalar
	 * path, so that every address in it is positive. */
	if (w.end > INT64_MAX)
		w = (struct svq_window){ .start = 1, .end = 0 };
	v->start = _mm_set1_epi64x(w.start);
	v->end = _mm_set1_epi64x(w.end);
	v->pos_step = _mm_set1_epi32(4 << 16);
}

/* ndescs 1 and the avail positions from @p pos on, as the low halves of
 * four private records' state words: they wrap with avail_pos at 16 bits. */
static __rte_always_inline __m128i
svq_fast_vec_tags(uint16_t pos)
{
	return _mm_add_epi32(_mm_set1_epi32(1 | (uint32_t)pos << 16),
			_mm_set_epi32(3 << 16, 2 << 16, 1 << 16, 0));
}

/*
 * Four single-descriptor chains at once: guest avail entries @p gring[0..3]
 * posted at @p sring[0..3], their private records tagged with @p tags
 * (ndescs and avail positions). All four are checked as
 * svq_forward_single() checks one, and against each other, before any is
 * written: when one needs a closer look nothing is written and false is
 * returned, and the caller takes them one at a time.
 */
static __rte_always_inline bool
svq_forward_four(const struct svq_fast *f, const struct svq_fast_vec *v,
		const volatile uint16_t *gring, uint16_t *sring, __m128i tags,
		__m128i *bytes)
{
	/* One read of the four heads, one of each descriptor: the guest
	 * may rewrite them meanwhile. */
	const uint64_t heads = *(const volatile svq_u64_unaligned *)gring;
	const __m128i hv = _mm_cvtsi64_si128(heads);
	/* each head's offset in a descriptor table; twice it in priv[] */
	const __m128i off = _mm_slli_epi32(_mm_cvtepu16_epi32(hv), 4);
	const uintptr_t o0 = (uint32_t)_mm_cvtsi128_si32(off);
	const uintptr_t o1 = (uint32_t)_mm_extract_epi32(off, 1);
	const uintptr_t o2 = (uint32_t)_mm_extract_epi32(off, 2);
	const uintptr_t o3 = (uint32_t)_mm_extract_epi32(off, 3);
	const volatile char *gdesc = (const volatile char *)f->gdesc;
	char *sdesc = (char *)f->sdesc, *priv = (char *)f->priv;
	struct svq_desc_priv *p0, *p1, *p2, *p3;
	__m128i d0, d1, d2, d3, w01, w23, a01, a23, e01, e23, l01, l23;
	__m128i bad, flags, writable, st01, st23;

	if (unlikely(heads & v->beyond_ring))
		return false;
	p0 = (struct svq_desc_priv *)(priv + 2 * o0);
	p1 = (struct svq_desc_priv *)(priv + 2 * o1);
	p2 = (struct svq_desc_priv *)(priv + 2 * o2);
	p3 = (struct svq_desc_priv *)(priv + 2 * o3);
	/* A head twice in the group: each lane against the next and the
	 * one after, around, covers the six pairs. */
	if (unlikely(_mm_movemask_epi8(_mm_or_si128(
			_mm_cmpeq_epi16(hv, _mm_shufflelo_epi16(hv,
					_MM_SHUFFLE(0, 3, 2, 1))),
			_mm_cmpeq_epi16(hv, _mm_shufflelo_epi16(hv,
					_MM_SHUFFLE(1, 0, 3, 2))))) & 0xff))
		return false;
	if (unlikely(p0->state.ndescs | p1->state.ndescs |
			p2->state.ndescs | p3->state.ndescs))
		return false;
	d0 = *(const volatile __m128i_u *)(gdesc + o0);
	d1 = *(const volatile __m128i_u *)(gdesc + o1);
	d2 = *(const volatile __m128i_u *)(gdesc + o2);
	d3 = *(const volatile __m128i_u *)(gdesc + o3);
	w01 = _mm_unpackhi_epi64(d0, d1);
	w23 = _mm_unpackhi_epi64(d2, d3);
	if (unlikely(!_mm_testz_si128(_mm_or_si128(w01, w23), v->chained)))
		return false;
	/* In the window, which lies below 2^63: an address from 2^63 up is
	 * below its start as a signed number, and an end that passes 2^63
	 * is below its address. */
	a01 = _mm_unpacklo_epi64(d0, d1);
	a23 = _mm_unpacklo_epi64(d2, d3);
	l01 = _mm_and_si128(w01, v->len);
	l23 = _mm_and_si128(w23, v->len);
	e01 = _mm_add_epi64(a01, l01);
	e23 = _mm_add_epi64(a23, l23);
	bad = _mm_or_si128(_mm_cmpgt_epi64(v->start, a01),
			_mm_cmpgt_epi64(v->start, a23));
	bad = _mm_or_si128(bad, _mm_or_si128(_mm_cmpgt_epi64(e01, v->end),
			_mm_cmpgt_epi64(e23, v->end)));
	bad = _mm_or_si128(bad, _mm_or_si128(_mm_cmpgt_epi64(a01, e01),
			_mm_cmpgt_epi64(a23, e23)));
	if (unlikely(!_mm_testz_si128(bad, bad)))
		return false;

	d0 = _mm_and_si128(d0, v->keep);
	d1 = _mm_and_si128(d1, v->keep);
	d2 = _mm_and_si128(d2, v->keep);
	d3 = _mm_and_si128(d3, v->keep);
	_mm_storeu_si128((__m128i_u *)(sdesc + o0), d0);
	_mm_storeu_si128((__m128i_u *)(sdesc + o1), d1);
	_mm_storeu_si128((__m128i_u *)(sdesc + o2), d2);
	_mm_storeu_si128((__m128i_u *)(sdesc + o3), d3);
	_mm_storeu_si128((__m128i_u *)&p0->copy, d0);
	_mm_storeu_si128((__m128i_u *)&p1->copy, d1);
	_mm_storeu_si128((__m128i_u *)&p2->copy, d2);
	_mm_storeu_si128((__m128i_u *)&p3->copy, d3);
	/* writable_len: len when WRITE is set, else 0; the state words are
	 * tag | writable_len << 32 */
	flags = _mm_castps_si128(_mm_shuffle_ps(_mm_castsi128_ps(w01),
			_mm_castsi128_ps(w23), _MM_SHUFFLE(3, 1, 3, 1)));
	writable = _mm_and_si128(_mm_castps_si128(_mm_shuffle_ps(
			_mm_castsi128_ps(w01), _mm_castsi128_ps(w23),
			_MM_SHUFFLE(2, 0, 2, 0))),
		_mm_cmpeq_epi32(_mm_and_si128(flags, v->write), v->write));
	st01 = _mm_unpacklo_epi32(tags, writable);
	st23 = _mm_unpackhi_epi32(tags, writable);
	_mm_storel_epi64((__m128i_u *)&p0->state, st01);
	_mm_storel_epi64((__m128i_u *)&p1->state, _mm_srli_si128(st01, 8));
	_mm_storel_epi64((__m128i_u *)&p2->state, st23);
	_mm_storel_epi64((__m128i_u *)&p3->state, _mm_srli_si128(st23, 8));
	*(svq_u64_unaligned *)sring = heads;
	*bytes = _mm_add_epi64(*bytes, _mm_add_epi64(l01, l23));
	return true;
}
/*
 * @p groups groups of four chains, from guest avail entries @p gring on,
 * posted at @p sring on (shadow avail positions from @p pos), for as long
 * as svq_forward_four() takes them.
 * @return the number forwarded; their bytes are added to @p bytes.
 */
static __rte_always_inline uint32_t
svq_forward_fours(const struct svq_fast *f, uint32_t mask,
		const volatile uint16_t *gring, uint16_t *sring, uint16_t pos,
		uint32_t groups, uint64_t *bytes)
{
	__m128i tags = svq_fast_vec_tags(pos), sum = _mm_setzero_si128();
	struct svq_fast_vec v;
	uint32_t done = 0;

	svq_fast_vec_init(&v, mask, f->w);
	for (; groups != 0 && svq_forward_four(f, &v, gring + done,
			sring + done, tags, &sum); groups--) {
		done += 4;
		tags = _mm_add_epi32(tags, v.pos_step);
	}
	*bytes += svq_sum_epi64(sum);
	return done;
}

/*
 * Four completions at once: shadow used elements @p sring[0..3] returned
 * as guest used elements @p gring[0..3]. Each must complete a different
 * chain of one descriptor, in flight, with no more bytes than it can
 * hold; when one needs a closer look nothing is written and false is
 * returned, and the caller takes them one at a time. While @p logging,
 * the bytes each buffer got are logged as svq_return_used() logs them.
 */
static __rte_always_inline bool
svq_return_four(struct svq_desc_priv *priv, __m128i mask,
		const volatile svq_u64_unaligned *sring,
		svq_u64_unaligned *gring, __m128i *bytes,
		const struct svq_dirty_log *log, struct svq_log_acc *acc,
		const bool logging)
{
	/* One read of each element: the device may rewrite them meanwhile. */
	const __m128i e01 = *(const volatile __m128i_u *)&sring[0];
	const __m128i e23 = *(const volatile __m128i_u *)&sring[2];
	const __m128i ids = _mm_castps_si128(_mm_shuffle_ps(
			_mm_castsi128_ps(e01), _mm_castsi128_ps(e23),
			_MM_SHUFFLE(2, 0, 2, 0)));
	const __m128i lens = _mm_castps_si128(_mm_shuffle_ps(
			_mm_castsi128_ps(e01), _mm_castsi128_ps(e23),
			_MM_SHUFFLE(3, 1, 3, 1)));
	struct svq_desc_priv *p0, *p1, *p2, *p3;
	__m128i off, bound;

	/* Every id within the ring, and no id twice in the group (each lane
	 * against the next and the one after, around: the six pairs). */
	if (unlikely(_mm_movemask_epi8(_mm_cmpeq_epi32(
			_mm_max_epu32(ids, mask), mask)) != 0xffff))
		return false;
	if (unlikely(_mm_movemask_epi8(_mm_or_si128(
			_mm_cmpeq_epi32(ids, _mm_shuffle_epi32(ids,
					_MM_SHUFFLE(0, 3, 2, 1))),
			_mm_cmpeq_epi32(ids, _mm_shuffle_epi32(ids,
					_MM_SHUFFLE(1, 0, 3, 2)))))))
		return false;
	/* each id's offset in priv[]: below 2^20 */
	off = _mm_slli_epi32(ids, 5);
	p0 = (struct svq_desc_priv *)((char *)priv +
			(uint32_t)_mm_cvtsi128_si32(off));
	p1 = (struct svq_desc_priv *)((char *)priv +
			(uint32_t)_mm_extract_epi32(off, 1));
	p2 = (struct svq_desc_priv *)((char *)priv +
			(uint32_t)_mm_extract_epi32(off, 2));
	p3 = (struct svq_desc_priv *)((char *)priv +
			(uint32_t)_mm_extract_epi32(off, 3));
	if (unlikely(p0->state.ndescs != 1 || p1->state.ndescs != 1 ||
			p2->state.ndescs != 1 || p3->state.ndescs != 1))
		return false;
	bound = _mm_cvtsi32_si128(p0->state.writable_len);
	bound = _mm_insert_epi32(bound, p1->state.writable_len, 1);
	bound = _mm_insert_epi32(bound, p2->state.writable_len, 2);
	bound = _mm_insert_epi32(bound, p3->state.writable_len, 3);
	if (unlikely(_mm_movemask_epi8(_mm_cmpeq_epi32(
			_mm_max_epu32(lens, bound), bound)) != 0xffff))
		return false;

	if (logging) {
		const uint32_t l0 = _mm_cvtsi128_si32(lens);
		const uint32_t l1 = _mm_extract_epi32(lens, 1);
		const uint32_t l2 = _mm_extract_epi32(lens, 2);
		const uint32_t l3 = _mm_extract_epi32(lens, 3);

		if (l0 != 0)
			svq_log_range_nonempty(log, acc, p0->copy.word[0], l0);
		if (l1 != 0)
			svq_log_range_nonempty(log, acc, p1->copy.word[0], l1);
		if (l2 != 0)
			svq_log_range_nonempty(log, acc, p2->copy.word[0], l2);
		if (l3 != 0)
			svq_log_range_nonempty(log, acc, p3->copy.word[0], l3);
	}
	p0->state = (struct svq_desc_state){ 0 };
	p1->state = (struct svq_desc_state){ 0 };
	p2->state = (struct svq_desc_state){ 0 };
	p3->state = (struct svq_desc_state){ 0 };
	_mm_storeu_si128((__m128i_u *)&gring[0], e01);
	_mm_storeu_si128((__m128i_u *)&gring[2], e23);
	*bytes = _mm_add_epi64(*bytes, _mm_add_epi64(
			_mm_cvtepu32_epi64(lens),
			_mm_cvtepu32_epi64(_mm_srli_si128(lens, 8))));
	return true;
}

#endif /* RTE_ARCH_X86_64 && __SSE4_2__ */

#endif /* SVQ_SHADOW_SSE_H */
